package io.rayzerocopy.internal.data;

import org.apache.arrow.vector.VectorSchemaRoot;

import java.util.Objects;

/**
 * A batch of rows and where they came from. Whoever holds a {@code SourceBatch} owns its root and
 * closes it (or passes it on).
 */
public record SourceBatch(VectorSchemaRoot root, RowRange range) implements AutoCloseable {

    public SourceBatch {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(range, "range");
        if (root.getRowCount() != range.rowCount()) {
            throw new IllegalArgumentException(
                    "batch has " + root.getRowCount() + " rows but its range is " + range);
        }
    }

    /** Rows in the batch. */
    public int rowCount() {
        return root.getRowCount();
    }

    @Override
    public void close() {
        root.close();
    }
}
