package io.rayzerocopy.internal.data;

import org.apache.arrow.vector.FieldVector;
import org.apache.parquet.column.ColumnReadStore;
import org.apache.parquet.column.page.PageReadStore;

/**
 * The (repetition level, definition level, value) triplets of one Parquet column chunk, read one at
 * a time. {@link ColumnDecoder} turns them into rows.
 */
interface ValueSource {

    /** Starts on the column's chunk in a new row group; the first triplet becomes current. */
    void startRowGroup(PageReadStore pages, ColumnReadStore columns);

    /** Whether a current triplet exists. */
    boolean hasCurrent();

    int repetitionLevel();

    int definitionLevel();

    /** Stores the current (non-null) value at {@code index} of {@code target}. */
    void readInto(ColumnLayout.Leaf leaf, FieldVector target, int index);

    /** Moves to the next triplet. */
    void consume();

    /**
     * How many triplets, from the current one and at most {@code limit}, hold a value (definition
     * level {@code maxDefinition}) and, if {@code continuation}, continue a list (repetition level
     * above 0); 0 when the source cannot tell cheaply.
     */
    int presentRun(int maxDefinition, boolean continuation, int limit);

    /**
     * Stores the values of the next {@code count} triplets, which {@link #presentRun} counted, at
     * {@code target[index, index + count)} and consumes them.
     */
    void readPresent(ColumnLayout.Leaf leaf, FieldVector target, int index, int count);

    /** Completes every value {@link #readInto} has deferred; called before a vector is finished. */
    void flush();
}
