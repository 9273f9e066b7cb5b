package io.rayzerocopy.internal.data;

import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.IntVector;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReadStore;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.page.PageReadStore;

import java.nio.ByteBuffer;

/** Triplets from parquet-mr's {@link ColumnReader}: any type, any encoding. */
final class ColumnReaderSource implements ValueSource {
    private final ColumnDescriptor descriptor;
    private ColumnReader reader;
    private long valuesLeft;

    ColumnReaderSource(ColumnDescriptor descriptor) {
        this.descriptor = descriptor;
    }

    @Override
    public void startRowGroup(PageReadStore pages, ColumnReadStore columns) {
        reader = columns.getColumnReader(descriptor);
        valuesLeft = pages.getPageReader(descriptor).getTotalValueCount();
    }

    @Override
    public boolean hasCurrent() {
        return valuesLeft > 0;
    }

    @Override
    public int repetitionLevel() {
        return reader.getCurrentRepetitionLevel();
    }

    @Override
    public int definitionLevel() {
        return reader.getCurrentDefinitionLevel();
    }

    @Override
    public void readInto(ColumnLayout.Leaf leaf, FieldVector target, int index) {
        switch (leaf) {
            case INT32 -> ((IntVector) target).setSafe(index, reader.getInteger());
            case DATE -> ((DateDayVector) target).setSafe(index, reader.getInteger());
            case INT64 -> ((BigIntVector) target).setSafe(index, reader.getLong());
            case FLOAT -> ((Float4Vector) target).setSafe(index, reader.getFloat());
            case DOUBLE -> ((Float8Vector) target).setSafe(index, reader.getDouble());
            case BOOLEAN -> ((BitVector) target).setSafe(index, reader.getBoolean() ? 1 : 0);
            case STRING, BINARY -> {
                ByteBuffer bytes = reader.getBinary().toByteBuffer();
                ((BaseVariableWidthVector) target)
                        .setSafe(index, bytes, bytes.position(), bytes.remaining());
            }
        }
    }

    @Override
    public void consume() {
        reader.consume();
        valuesLeft--;
    }

    @Override
    public int presentRun(int maxDefinition, boolean continuation, int limit) {
        return 0;
    }

    @Override
    public void readPresent(ColumnLayout.Leaf leaf, FieldVector target, int index, int count) {
        throw new UnsupportedOperationException("presentRun() is always 0 here");
    }

    @Override
    public void flush() {}
}
