package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The rows {@code id = 0 .. n-1} as one non-null int64 column, made as they are read (Ray Data's
 * {@code range}): a source of any size that takes no memory until read, e.g. to generate data.
 */
public final class RangeSource implements BatchSource {
    private static final String COLUMN = "id";
    private static final Schema SCHEMA =
            new Schema(
                    List.of(
                            new Field(
                                    COLUMN,
                                    FieldType.notNullable(new ArrowType.Int(64, true)),
                                    null)));

    private final long rows;

    private RangeSource(long rows) {
        this.rows = rows;
    }

    /** Rows {@code 0 .. rows-1}. */
    public static RangeSource of(long rows) {
        if (rows < 0) {
            throw new IllegalArgumentException("range(n) needs n >= 0, got " + rows);
        }
        return new RangeSource(rows);
    }

    @Override
    public Schema schema() {
        return SCHEMA;
    }

    @Override
    public OptionalLong rowCount() {
        return OptionalLong.of(rows);
    }

    @Override
    public OptionalLong batchCount(int batchSize) {
        return OptionalLong.of(Math.max(1, (rows + batchSize - 1) / batchSize));
    }

    @Override
    public BatchSource select(List<String> columns) {
        if (!columns.equals(List.of(COLUMN))) {
            throw new IllegalArgumentException(
                    "a range has the one column 'id'; cannot select " + columns);
        }
        return this;
    }

    @Override
    public BatchReader open(BufferAllocator allocator, int batchSize) {
        Objects.requireNonNull(allocator, "allocator");
        return new BatchReader() {
            private long next;

            @Override
            public SourceBatch next() {
                if (next == rows) {
                    return null;
                }
                int n = (int) Math.min(batchSize, rows - next);
                BigIntVector ids = new BigIntVector(SCHEMA.getFields().get(0), allocator);
                ids.allocateNew(n);
                for (int r = 0; r < n; r++) {
                    ids.set(r, next + r);
                }
                ids.setValueCount(n);
                VectorSchemaRoot root = new VectorSchemaRoot(List.of(ids));
                root.setRowCount(n);
                SourceBatch batch = new SourceBatch(root, new RowRange("range", next, n));
                next += n;
                return batch;
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public String toString() {
        return "RangeSource[" + rows + "]";
    }
}
