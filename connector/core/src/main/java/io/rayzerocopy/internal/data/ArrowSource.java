package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Arrow batches as a {@link BatchSource}. The batches are copied (as Arrow IPC bytes) when the
 * source is made, so the caller keeps ownership of its roots and may close them right away. Batches
 * are cut to the requested batch size but never merged; each batch's {@link RowRange} names its
 * input root as {@code arrow[i]}.
 */
public final class ArrowSource implements BatchSource {
    private final List<byte[]> batches;
    private final List<Long> rowCounts;
    private final Schema fullSchema;
    private final List<String> columns;

    private ArrowSource(
            List<byte[]> batches, List<Long> rowCounts, Schema fullSchema, List<String> columns) {
        this.batches = batches;
        this.rowCounts = rowCounts;
        this.fullSchema = fullSchema;
        this.columns = columns;
    }

    /**
     * A copy of {@code roots}, which must all have the same schema.
     *
     * @throws IllegalArgumentException if there are no roots or their schemas differ
     */
    public static ArrowSource of(List<VectorSchemaRoot> roots) {
        Objects.requireNonNull(roots, "roots");
        if (roots.isEmpty()) {
            throw new IllegalArgumentException(
                    "give at least one VectorSchemaRoot (it defines the schema)");
        }
        Schema schema = roots.get(0).getSchema();
        List<byte[]> batches = new ArrayList<>();
        List<Long> rowCounts = new ArrayList<>();
        for (int i = 0; i < roots.size(); i++) {
            VectorSchemaRoot root = roots.get(i);
            if (!root.getSchema().equals(schema)) {
                throw new IllegalArgumentException(
                        "root "
                                + i
                                + " has schema "
                                + root.getSchema()
                                + " but root 0 has "
                                + schema
                                + "; all roots need one schema");
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, bytes)) {
                writer.start();
                writer.writeBatch();
                writer.end();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot copy Arrow root " + i, e);
            }
            batches.add(bytes.toByteArray());
            rowCounts.add((long) root.getRowCount());
        }
        return new ArrowSource(
                List.copyOf(batches),
                List.copyOf(rowCounts),
                schema,
                schema.getFields().stream().map(Field::getName).toList());
    }

    @Override
    public Schema schema() {
        return new Schema(columns.stream().map(fullSchema::findField).toList());
    }

    @Override
    public OptionalLong rowCount() {
        return OptionalLong.of(rowCounts.stream().mapToLong(Long::longValue).sum());
    }

    @Override
    public OptionalLong batchCount(int batchSize) {
        long batches = 0;
        for (long rows : rowCounts) {
            batches += (rows + batchSize - 1) / batchSize;
        }
        return OptionalLong.of(Math.max(1, batches));
    }

    @Override
    public ArrowSource select(List<String> selected) {
        Objects.requireNonNull(selected, "columns");
        for (String column : selected) {
            if (fullSchema.getFields().stream().noneMatch(f -> f.getName().equals(column))) {
                throw new IllegalArgumentException(
                        "column '"
                                + column
                                + "' does not exist; columns are "
                                + fullSchema.getFields().stream().map(Field::getName).toList());
            }
        }
        return new ArrowSource(batches, rowCounts, fullSchema, List.copyOf(selected));
    }

    @Override
    public BatchReader open(BufferAllocator allocator, int batchSize) {
        Objects.requireNonNull(allocator, "allocator");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        return new BatchReader() {
            private int index;
            private VectorSchemaRoot current;
            private ArrowStreamReader reader;
            private int offset;

            @Override
            public SourceBatch next() {
                while (current == null || offset == current.getRowCount()) {
                    closeCurrent();
                    if (index == batches.size()) {
                        return null;
                    }
                    reader =
                            new ArrowStreamReader(
                                    new ByteArrayInputStream(batches.get(index++)), allocator);
                    try {
                        reader.loadNextBatch();
                        List<FieldVector> vectors = new ArrayList<>();
                        for (String column : columns) {
                            vectors.add(reader.getVectorSchemaRoot().getVector(column));
                        }
                        current = new VectorSchemaRoot(vectors);
                        current.setRowCount(reader.getVectorSchemaRoot().getRowCount());
                    } catch (IOException e) {
                        throw new UncheckedIOException(
                                "cannot read copied Arrow batch " + (index - 1), e);
                    }
                    offset = 0;
                }
                int rows = Math.min(batchSize, current.getRowCount() - offset);
                VectorSchemaRoot slice = Roots.slice(current, offset, rows, allocator);
                RowRange range = new RowRange("arrow[" + (index - 1) + "]", offset, rows);
                offset += rows;
                return new SourceBatch(slice, range);
            }

            private void closeCurrent() {
                if (reader != null) {
                    try {
                        reader.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    reader = null;
                    current = null;
                }
            }

            @Override
            public void close() {
                closeCurrent();
            }
        };
    }
}
