package io.rayzerocopy.internal.data;

import java.util.Objects;

/**
 * Where the rows of a batch came from: {@code rowCount} rows starting at row {@code firstRow}
 * (0-based) of {@code source}, a file path or a label such as {@code "items"}.
 */
public record RowRange(String source, long firstRow, long rowCount) {

    public RowRange {
        Objects.requireNonNull(source, "source");
        if (firstRow < 0 || rowCount < 0) {
            throw new IllegalArgumentException(
                    "firstRow and rowCount must be >= 0, got " + firstRow + " and " + rowCount);
        }
    }

    /** The sub-range of {@code count} rows starting {@code offset} rows into this range. */
    public RowRange slice(long offset, long count) {
        if (offset < 0 || count < 0 || offset + count > rowCount) {
            throw new IllegalArgumentException(
                    "slice [" + offset + ", " + (offset + count) + ") is outside " + this);
        }
        return new RowRange(source, firstRow + offset, count);
    }

    /** The first row after this range. */
    public long endRow() {
        return firstRow + rowCount;
    }

    @Override
    public String toString() {
        return "rows [" + firstRow + ", " + endRow() + ") of " + source;
    }
}
