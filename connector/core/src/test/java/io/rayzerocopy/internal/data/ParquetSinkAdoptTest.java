package io.rayzerocopy.internal.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.ParquetWriteOptions;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

class ParquetSinkAdoptTest {
    @TempDir Path dir;

    /** A committed dataset of rows {@code from..from+n-1} in files of 4 rows, with _errors. */
    private Path task(String name, long from, int n) throws Exception {
        Path out = dir.resolve(name);
        List<Map<String, Object>> rows =
                Stream.iterate(from, i -> i + 1)
                        .limit(n)
                        .map(i -> Map.<String, Object>of("id", i))
                        .toList();
        Dataset.fromItems(rows)
                .writeParquet(out.toString(), ParquetWriteOptions.builder().rowsPerFile(4).build());
        Files.createDirectories(out.resolve("_errors"));
        Files.copy(out.resolve("part-00000.parquet"), out.resolve("_errors/part-00000.parquet"));
        return out;
    }

    @Test
    void adoptedPartsAreNumberedAfterEachOtherAndCommittedOnce() throws Exception {
        Path first = task("t0", 0, 6);
        Path second = task("t1", 6, 5);
        Path out = dir.resolve("out");
        try (ParquetSink sink = ParquetSink.create(out.toString(), ParquetWriteOptions.defaults())) {
            assertEquals(6, sink.adopt("first", first.toString()));
            assertEquals(5, sink.adopt("second", second.toString()));
            assertEquals(11, sink.rows());
            assertEquals(
                    List.of(
                            out.resolve("part-00000.parquet").toString(),
                            out.resolve("part-00001.parquet").toString(),
                            out.resolve("part-00002.parquet").toString(),
                            out.resolve("part-00003.parquet").toString()),
                    sink.commit());
        }
        List<Object> ids =
                Dataset.readParquet(out.toString()).take(100).stream()
                        .map(r -> r.get("id"))
                        .toList();
        assertEquals(Stream.iterate(0L, i -> i + 1).limit(11).toList(), ids);
        assertEquals(8, Dataset.readParquet(out.resolve("_errors").toString()).count());
        try (Stream<Path> errors = Files.list(out.resolve("_errors"))) {
            assertEquals(2, errors.count(), "the side datasets were adopted too");
        }
    }

    /**
     * A committed partitioned attempt: rows {id, k} with k = "v" + id % 2, partitioned by k; one
     * without rows holds only the empty top-level file every committed output gets.
     */
    private Path partitionedTask(String name, long from, int n) {
        Path out = dir.resolve(name);
        ParquetWriteOptions options = ParquetWriteOptions.builder().partitionBy("k").build();
        if (n > 0) {
            Dataset.fromItems(
                            Stream.iterate(from, i -> i + 1)
                                    .limit(n)
                                    .map(i -> Map.<String, Object>of("id", i, "k", "v" + (i % 2)))
                                    .toList())
                    .writeParquet(out.toString(), options);
            return out;
        }
        Schema schema =
                new Schema(
                        List.of(
                                Field.nullable("id", new ArrowType.Int(64, true)),
                                Field.nullable("k", ArrowType.Utf8.INSTANCE)));
        try (BufferAllocator allocator = Allocators.child("empty-attempt");
                VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
                ParquetSink sink = ParquetSink.create(out.toString(), options)) {
            sink.write(root);
            sink.commit();
        }
        assertEquals(List.of("part-00000.parquet"), names(out));
        return out;
    }

    private static List<String> names(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("_"))
                    .sorted()
                    .toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void partitionedAttemptsAreAdoptedPartitionByPartitionWithoutEmptyPlaceholders()
            throws Exception {
        Path first = partitionedTask("p0", 0, 5);
        Path empty = partitionedTask("p1", 0, 0);
        Path third = partitionedTask("p2", 5, 4);
        Path out = dir.resolve("pout");
        try (ParquetSink sink =
                ParquetSink.create(
                        out.toString(), ParquetWriteOptions.builder().partitionBy("k").build())) {
            assertEquals(5, sink.adopt("first", first.toString()));
            assertEquals(0, sink.adopt("empty", empty.toString()));
            assertEquals(4, sink.adopt("third", third.toString()));
            assertEquals(
                    List.of(
                            out.resolve("k=v0/part-00000.parquet").toString(),
                            out.resolve("k=v0/part-00001.parquet").toString(),
                            out.resolve("k=v1/part-00000.parquet").toString(),
                            out.resolve("k=v1/part-00001.parquet").toString()),
                    sink.commit());
        }
        Map<Long, Object> keys = new java.util.TreeMap<>();
        for (Map<String, Object> row : Dataset.readParquet(out.toString()).take(100)) {
            keys.put((Long) row.get("id"), row.get("k"));
        }
        assertEquals(9, keys.size());
        keys.forEach((id, k) -> assertEquals("v" + (id % 2), k));
    }
}
