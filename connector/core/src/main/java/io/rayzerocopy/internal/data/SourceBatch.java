package io.rayzerocopy.internal.data;

import org.apache.arrow.vector.VectorSchemaRoot;

import java.util.Objects;

/**
 * A batch of rows and the input rows it was made from. A batch read from a source is {@code
 * aligned}: its row {@code i} is input row {@code range.firstRow() + i}. A {@code mapBatches}
 * function may return more or fewer rows than it got (filtering, exploding); its result keeps the
 * range of its input and is not aligned: all its rows derive from that range. Whoever holds a
 * {@code SourceBatch} owns its root and closes it (or passes it on).
 */
public record SourceBatch(VectorSchemaRoot root, RowRange range, boolean aligned)
        implements AutoCloseable {

    public SourceBatch {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(range, "range");
        if (aligned && root.getRowCount() != range.rowCount()) {
            throw new IllegalArgumentException(
                    "batch has " + root.getRowCount() + " rows but its range is " + range);
        }
    }

    /** An aligned batch: one row per row of {@code range}. */
    public SourceBatch(VectorSchemaRoot root, RowRange range) {
        this(root, range, true);
    }

    /** Rows in the batch. */
    public int rowCount() {
        return root.getRowCount();
    }

    /** The split the batch belongs to: the file (or other source) its rows were read from. */
    public String split() {
        return range.source();
    }

    @Override
    public void close() {
        root.close();
    }
}
