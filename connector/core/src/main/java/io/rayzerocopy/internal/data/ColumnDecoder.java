package io.rayzerocopy.internal.data;

import io.rayzerocopy.DatasetException;

import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReadStore;
import org.apache.parquet.column.page.PageReadStore;

/**
 * Decodes one Parquet column straight into an Arrow vector: turns the column's (repetition,
 * definition, value) triplets into rows, nulls, lists and fixed-size lists, with no per-row
 * objects. Fixed-width columns read pages directly ({@link PageSource}, bulk copies of PLAIN
 * values); the others go through parquet-mr's column reader ({@link ColumnReaderSource}).
 */
final class ColumnDecoder {
    private final ColumnLayout layout;
    private final String file;
    private final int maxDefinition;

    /** Definition level at which a list is present (possibly empty). */
    private final int listDefinition;

    private final ValueSource source;
    private FieldVector vector;
    private int childCount;

    ColumnDecoder(ColumnLayout layout, ColumnDescriptor descriptor, String file) {
        this.layout = layout;
        this.file = file;
        this.maxDefinition = descriptor.getMaxDefinitionLevel();
        this.listDefinition = layout.nullable() ? 1 : 0;
        this.source =
                PageSource.supports(layout.leaf())
                        ? new PageSource(descriptor, layout.leaf())
                        : new ColumnReaderSource(descriptor);
    }

    void startRowGroup(PageReadStore pages, ColumnReadStore columns) {
        source.startRowGroup(pages, columns);
    }

    void startBatch(FieldVector target, int capacity) {
        vector = target;
        childCount = 0;
        vector.setInitialCapacity(capacity);
        vector.allocateNew();
    }

    /** Decodes {@code rows} rows into vector positions starting at {@code row}. */
    void read(int row, int rows, long fileRow) {
        if (layout.shape() == ColumnLayout.Shape.FLAT) {
            readFlat(row, rows);
        } else {
            readLists(row, rows, fileRow);
        }
    }

    /** Completes deferred copies; call before the row group's pages are released. */
    void flush() {
        source.flush();
    }

    void finishBatch(int rows) {
        source.flush();
        if (layout.shape() != ColumnLayout.Shape.FLAT) {
            childVector().setValueCount(childCount);
        }
        vector.setValueCount(rows);
    }

    private void readFlat(int row, int rows) {
        ColumnLayout.Leaf leaf = layout.leaf();
        int end = row + rows;
        for (int i = row; i < end; ) {
            int run = source.presentRun(maxDefinition, false, end - i);
            if (run > 0) {
                source.readPresent(leaf, vector, i, run);
                i += run;
                continue;
            }
            if (source.definitionLevel() == maxDefinition) {
                source.readInto(leaf, vector, i);
            } else {
                vector.setNull(i);
            }
            consume();
            i++;
        }
    }

    private void readLists(int row, int rows, long fileRow) {
        boolean fixed = layout.shape() == ColumnLayout.Shape.FIXED_SIZE_LIST;
        ListVector list = fixed ? null : (ListVector) vector;
        FixedSizeListVector fixedList = fixed ? (FixedSizeListVector) vector : null;
        FieldVector child = childVector();
        ColumnLayout.Leaf leaf = layout.leaf();
        for (int i = row, end = row + rows; i < end; i++) {
            int definition = source.definitionLevel();
            if (definition < listDefinition) {
                consume();
                if (fixed) {
                    fixedList.setNull(i);
                    for (int j = 0; j < layout.listSize(); j++) {
                        child.setNull(childCount++);
                    }
                } else {
                    list.setNull(i);
                }
                continue;
            }
            int start = childCount;
            if (fixed) {
                fixedList.setNotNull(i);
            } else {
                list.startNewValue(i);
            }
            if (definition == listDefinition) {
                consume();
            } else {
                while (true) {
                    if (definition == maxDefinition) {
                        source.readInto(leaf, child, childCount);
                    } else {
                        child.setNull(childCount);
                    }
                    childCount++;
                    consume();
                    if (!source.hasCurrent() || source.repetitionLevel() == 0) {
                        break;
                    }
                    int run = source.presentRun(maxDefinition, true, Integer.MAX_VALUE);
                    if (run > 0) {
                        source.readPresent(leaf, child, childCount, run);
                        childCount += run;
                        if (!source.hasCurrent() || source.repetitionLevel() == 0) {
                            break;
                        }
                    }
                    definition = source.definitionLevel();
                }
            }
            int size = childCount - start;
            if (fixed && size != layout.listSize()) {
                throw new DatasetException(
                        "row "
                                + (fileRow + i - row)
                                + " of column '"
                                + layout.name()
                                + "' in "
                                + file
                                + " has "
                                + size
                                + " elements, but the file marks the column as a"
                                + " fixed-size list of "
                                + layout.listSize());
            }
            if (!fixed) {
                list.endValue(i, size);
            }
        }
    }

    private FieldVector childVector() {
        return layout.shape() == ColumnLayout.Shape.LIST
                ? ((ListVector) vector).getDataVector()
                : ((FixedSizeListVector) vector).getDataVector();
    }

    private void consume() {
        source.consume();
    }
}
