package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.Text;

import java.util.ArrayList;
import java.util.List;

/** Reads Arrow data back as plain Java values, for assertions. */
public final class ArrowTestRows {
    private ArrowTestRows() {}

    /** Rows of {@code root}: Integer, Long, Float, Double, Boolean, String, List of bytes, List. */
    public static List<List<Object>> rows(VectorSchemaRoot root) {
        List<List<Object>> rows = new ArrayList<>();
        for (int r = 0; r < root.getRowCount(); r++) {
            List<Object> row = new ArrayList<>();
            for (FieldVector vector : root.getFieldVectors()) {
                row.add(plain(vector.getObject(r)));
            }
            rows.add(row);
        }
        return rows;
    }

    /** All rows of {@code source} read in batches of {@code batchSize}; checks batch sizes. */
    public static List<List<Object>> readAll(
            BatchSource source, BufferAllocator allocator, int batchSize, List<RowRange> ranges) {
        List<List<Object>> rows = new ArrayList<>();
        try (BatchReader reader = source.open(allocator, batchSize)) {
            for (SourceBatch next = reader.next(); next != null; next = reader.next()) {
                try (SourceBatch batch = next) {
                    if (batch.rowCount() > batchSize || batch.rowCount() == 0) {
                        throw new AssertionError(
                                "batch of " + batch.rowCount() + " rows for size " + batchSize);
                    }
                    ranges.add(batch.range());
                    rows.addAll(rows(batch.root()));
                }
            }
        }
        return rows;
    }

    private static Object plain(Object value) {
        if (value instanceof Text text) {
            return text.toString();
        }
        if (value instanceof byte[] bytes) {
            List<Byte> list = new ArrayList<>();
            for (byte b : bytes) {
                list.add(b);
            }
            return list;
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            for (Object o : list) {
                copy.add(plain(o));
            }
            return copy;
        }
        return value;
    }
}
