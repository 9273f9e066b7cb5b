package io.rayzerocopy.data;

import org.apache.arrow.vector.FieldVector;
import org.apache.parquet.column.ColumnReadStore;
import org.apache.parquet.column.page.PageReadStore;

/**
 * The (repetition level, definition level, value) triplets of one Parquet column chunk, read one
 * at a time. {@link ColumnDecoder} turns them into rows.
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

  /** Completes every value {@link #readInto} has deferred; called before a vector is finished. */
  void flush();
}
