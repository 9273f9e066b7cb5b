package io.rayzerocopy.data;

import java.nio.ByteBuffer;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReadStore;
import org.apache.parquet.column.ColumnReader;

/**
 * Decodes one Parquet column straight into an Arrow vector with parquet-mr's {@link ColumnReader}:
 * values and definition/repetition levels go into the vector's buffers without per-row objects.
 */
final class ColumnDecoder {
  private final ColumnLayout layout;
  private final ColumnDescriptor descriptor;
  private final String file;
  private final int maxDefinition;
  /** Definition level at which a list is present (possibly empty). */
  private final int listDefinition;
  private ColumnReader reader;
  private long valuesLeft;
  private FieldVector vector;
  private int childCount;

  ColumnDecoder(ColumnLayout layout, ColumnDescriptor descriptor, String file) {
    this.layout = layout;
    this.descriptor = descriptor;
    this.file = file;
    this.maxDefinition = descriptor.getMaxDefinitionLevel();
    this.listDefinition = layout.nullable() ? 1 : 0;
  }

  void startRowGroup(ColumnReadStore store) {
    reader = store.getColumnReader(descriptor);
    valuesLeft = reader.getTotalValueCount();
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

  void finishBatch(int rows) {
    if (layout.shape() != ColumnLayout.Shape.FLAT) {
      childVector().setValueCount(childCount);
    }
    vector.setValueCount(rows);
  }

  private void readFlat(int row, int rows) {
    ColumnLayout.Leaf leaf = layout.leaf();
    for (int i = row, end = row + rows; i < end; i++) {
      if (reader.getCurrentDefinitionLevel() == maxDefinition) {
        readValue(leaf, vector, i);
      } else {
        vector.setNull(i);
      }
      consume();
    }
  }

  private void readLists(int row, int rows, long fileRow) {
    boolean fixed = layout.shape() == ColumnLayout.Shape.FIXED_SIZE_LIST;
    ListVector list = fixed ? null : (ListVector) vector;
    FixedSizeListVector fixedList = fixed ? (FixedSizeListVector) vector : null;
    FieldVector child = childVector();
    ColumnLayout.Leaf leaf = layout.leaf();
    for (int i = row, end = row + rows; i < end; i++) {
      int definition = reader.getCurrentDefinitionLevel();
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
            readValue(leaf, child, childCount);
          } else {
            child.setNull(childCount);
          }
          childCount++;
          consume();
          if (valuesLeft == 0 || reader.getCurrentRepetitionLevel() == 0) {
            break;
          }
          definition = reader.getCurrentDefinitionLevel();
        }
      }
      int size = childCount - start;
      if (fixed && size != layout.listSize()) {
        throw new DatasetException("row " + (fileRow + i - row) + " of column '" + layout.name()
            + "' in " + file + " has " + size + " elements, but the file marks the column as a"
            + " fixed-size list of " + layout.listSize());
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
    reader.consume();
    valuesLeft--;
  }

  private void readValue(ColumnLayout.Leaf leaf, FieldVector target, int index) {
    switch (leaf) {
      case INT32 -> ((IntVector) target).setSafe(index, reader.getInteger());
      case INT64 -> ((BigIntVector) target).setSafe(index, reader.getLong());
      case FLOAT -> ((Float4Vector) target).setSafe(index, reader.getFloat());
      case DOUBLE -> ((Float8Vector) target).setSafe(index, reader.getDouble());
      case BOOLEAN -> ((BitVector) target).setSafe(index, reader.getBoolean() ? 1 : 0);
      case STRING, BINARY -> {
        ByteBuffer bytes = reader.getBinary().toByteBuffer();
        ((BaseVariableWidthVector) target).setSafe(index, bytes, bytes.position(),
            bytes.remaining());
      }
    }
  }
}
