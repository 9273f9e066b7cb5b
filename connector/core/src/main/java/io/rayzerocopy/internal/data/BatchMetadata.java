package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What travels with a batch in its schema's metadata, through every runtime (Arrow IPC carries it
 * to worker processes and Ray actors and back): where an input batch's rows came from, so that an
 * actor can name a bad row by its row in the file; and counters an actor reports with its result
 * (e.g. non-finite feature values), summed into the operator's stats. The driver strips the
 * counters before a result goes on, so they never reach an output file.
 */
public final class BatchMetadata {
    private static final String PREFIX = "rzc.";
    private static final String SOURCE = PREFIX + "source";
    private static final String FIRST_ROW = PREFIX + "first_row";
    private static final String COUNTER = PREFIX + "count.";

    private BatchMetadata() {}

    /**
     * {@code root}'s vectors under a schema that records {@code range}; the result shares the
     * vectors, so close {@code root} only.
     */
    public static VectorSchemaRoot withOrigin(VectorSchemaRoot root, RowRange range) {
        Map<String, String> metadata = new HashMap<>();
        metadata.put(SOURCE, range.source());
        metadata.put(FIRST_ROW, Long.toString(range.firstRow()));
        return withAdded(root, metadata);
    }

    /**
     * Rows {@code [from, from + count)} of {@code root} as a new root in {@code allocator} (see
     * {@link Roots#slice}) that still records where its rows came from.
     */
    public static VectorSchemaRoot slice(
            VectorSchemaRoot root, int from, int count, BufferAllocator allocator) {
        VectorSchemaRoot slice = Roots.slice(root, from, count, allocator);
        Map<String, String> metadata = root.getSchema().getCustomMetadata();
        if (metadata == null || !metadata.containsKey(FIRST_ROW)) {
            return slice;
        }
        Map<String, String> shifted = new HashMap<>(metadata);
        shifted.put(FIRST_ROW, Long.toString(Long.parseLong(metadata.get(FIRST_ROW)) + from));
        return withMetadata(slice, shifted);
    }

    /**
     * Row {@code row} of the batch for messages: {@code row 1005 of /data/part-3.parquet} when the
     * batch records where it came from, else {@code row 5 of the batch}.
     */
    public static String row(VectorSchemaRoot root, long row) {
        Map<String, String> metadata = root.getSchema().getCustomMetadata();
        String source = metadata == null ? null : metadata.get(SOURCE);
        String first = metadata == null ? null : metadata.get(FIRST_ROW);
        if (source == null || first == null) {
            return "row " + row + " of the batch";
        }
        return "row " + (Long.parseLong(first) + row) + " of " + source;
    }

    /**
     * {@code result}'s vectors under a schema that carries {@code counters}; the result shares the
     * vectors, so close one of the two roots only.
     */
    public static VectorSchemaRoot withCounters(
            VectorSchemaRoot result, Map<String, Long> counters) {
        if (counters.isEmpty()) {
            return result;
        }
        Map<String, String> metadata = new HashMap<>();
        counters.forEach((name, n) -> metadata.put(COUNTER + name, Long.toString(n)));
        return withAdded(result, metadata);
    }

    /**
     * Adds the counters {@code result} carries to {@code totals} and returns its vectors under a
     * schema without our metadata (sharing the vectors: close one of the two roots only).
     */
    public static VectorSchemaRoot takeCounters(VectorSchemaRoot result, Map<String, Long> totals) {
        Map<String, String> metadata = result.getSchema().getCustomMetadata();
        if (metadata == null || metadata.keySet().stream().noneMatch(k -> k.startsWith(PREFIX))) {
            return result;
        }
        Map<String, String> theirs = new HashMap<>();
        metadata.forEach(
                (key, value) -> {
                    if (key.startsWith(COUNTER)) {
                        totals.merge(
                                key.substring(COUNTER.length()), Long.parseLong(value), Long::sum);
                    } else if (!key.startsWith(PREFIX)) {
                        theirs.put(key, value);
                    }
                });
        return withMetadata(result, theirs);
    }

    private static VectorSchemaRoot withAdded(VectorSchemaRoot root, Map<String, String> added) {
        Map<String, String> metadata = new HashMap<>();
        if (root.getSchema().getCustomMetadata() != null) {
            metadata.putAll(root.getSchema().getCustomMetadata());
        }
        metadata.putAll(added);
        return withMetadata(root, metadata);
    }

    private static VectorSchemaRoot withMetadata(
            VectorSchemaRoot root, Map<String, String> metadata) {
        Schema schema = new Schema(root.getSchema().getFields(), new LinkedHashMap<>(metadata));
        return new VectorSchemaRoot(schema, root.getFieldVectors(), root.getRowCount());
    }
}
