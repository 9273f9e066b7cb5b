package io.rayzerocopy.internal.data;

import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes Arrow batches into one Parquet file column by column, flushing a row group after exactly
 * {@code rowsPerRowGroup} rows (or 128 MiB buffered). Numeric columns go through {@link
 * NumericPageWriter}, a range at a time; the others through parquet-mr's column write store, a
 * value at a time.
 */
final class PartFileWriter implements AutoCloseable {
    private static final long MAX_ROW_GROUP_BYTES = 128L << 20;

    private final String name;
    private final List<ColumnLayout> layouts = new ArrayList<>();
    private final MessageType parquetSchema;
    private final Map<String, String> metadata = new HashMap<>();
    private final ParquetProperties properties;
    private final CompressionCodecFactory.BytesInputCompressor compressor;
    private final int rowsPerRowGroup;
    private final ParquetFileWriter fileWriter;

    /** Per column: its numeric page writer, or null for a column of the column write store. */
    private final NumericPageWriter[] numeric;

    /** The columns parquet-mr's column write store takes; null when all are numeric. */
    private final MessageType storeSchema;

    private ColumnChunkPageWriteStore pageStore;
    private ColumnWriteStore columnStore;
    private List<ColumnWriter> columnWriters;
    private boolean rowGroupOpen;
    private int rowGroupRows;
    private long rows;

    /** Writes {@code out}, which messages call {@code name}. */
    PartFileWriter(
            OutputFile out,
            String name,
            Schema schema,
            CompressionCodecFactory.BytesInputCompressor compressor,
            int rowsPerRowGroup)
            throws IOException {
        this.name = name;
        this.compressor = compressor;
        this.rowsPerRowGroup = rowsPerRowGroup;
        List<Type> types = new ArrayList<>();
        for (Field field : schema.getFields()) {
            ColumnLayout layout = ColumnLayout.fromArrow(field);
            layouts.add(layout);
            types.add(layout.parquetType());
            if (layout.shape() == ColumnLayout.Shape.FIXED_SIZE_LIST) {
                metadata.put(
                        ColumnLayout.FIXED_SIZE_KEY_PREFIX + layout.name(),
                        Integer.toString(layout.listSize()));
            }
        }
        parquetSchema = new MessageType("schema", types);
        numeric = new NumericPageWriter[layouts.size()];
        List<Type> storeTypes = new ArrayList<>();
        for (int c = 0; c < layouts.size(); c++) {
            if (NumericPageWriter.supports(layouts.get(c))) {
                numeric[c] =
                        new NumericPageWriter(layouts.get(c), parquetSchema.getColumns().get(c));
            } else {
                storeTypes.add(types.get(c));
            }
        }
        storeSchema = storeTypes.isEmpty() ? null : new MessageType("schema", storeTypes);
        properties = ParquetProperties.builder().build();
        fileWriter =
                new ParquetFileWriter(
                        out,
                        parquetSchema,
                        ParquetFileWriter.Mode.CREATE,
                        MAX_ROW_GROUP_BYTES,
                        0,
                        null,
                        properties);
        fileWriter.start();
    }

    long rows() {
        return rows;
    }

    /** Appends rows {@code [from, from + count)} of {@code root}. */
    void write(VectorSchemaRoot root, int from, int count) throws IOException {
        int written = 0;
        while (written < count) {
            if (!rowGroupOpen) {
                startRowGroup();
            }
            int take = Math.min(count - written, rowsPerRowGroup - rowGroupRows);
            for (int c = 0; c < layouts.size(); c++) {
                FieldVector vector = root.getVector(c);
                checkNulls(layouts.get(c), vector);
                if (numeric[c] != null) {
                    numeric[c].write(vector, from + written, take);
                } else {
                    writeColumn(layouts.get(c), vector, columnWriters.get(c), from + written, take);
                }
            }
            if (columnStore != null) {
                for (int i = 0; i < take; i++) {
                    columnStore.endRecord();
                }
            }
            written += take;
            rowGroupRows += take;
            rows += take;
            if (rowGroupRows == rowsPerRowGroup || bufferedSize() >= MAX_ROW_GROUP_BYTES) {
                flushRowGroup();
            }
        }
    }

    /** Finishes the file: flushes the last row group and writes the footer. */
    @Override
    public void close() throws IOException {
        flushRowGroup();
        fileWriter.end(metadata);
    }

    /** Releases the file without finishing it; the caller deletes it. */
    void abandon() {
        try {
            if (columnStore != null) {
                columnStore.close();
            }
            if (pageStore != null) {
                pageStore.close();
            }
            fileWriter.close();
        } catch (IOException | RuntimeException e) {
            // The half-written file is deleted by the caller; nothing more can be done with it.
        }
    }

    private void startRowGroup() {
        pageStore =
                new ColumnChunkPageWriteStore(
                        compressor,
                        parquetSchema,
                        properties.getAllocator(),
                        properties.getColumnIndexTruncateLength(),
                        properties.getPageWriteChecksumEnabled());
        columnStore =
                storeSchema == null
                        ? null
                        : properties.newColumnWriteStore(storeSchema, pageStore, pageStore);
        columnWriters = new ArrayList<>();
        List<ColumnDescriptor> columns = parquetSchema.getColumns();
        for (int c = 0; c < layouts.size(); c++) {
            if (numeric[c] != null) {
                numeric[c].startRowGroup(pageStore.getPageWriter(columns.get(c)));
                columnWriters.add(null);
            } else {
                columnWriters.add(columnStore.getColumnWriter(columns.get(c)));
            }
        }
        rowGroupRows = 0;
        rowGroupOpen = true;
    }

    private long bufferedSize() {
        long size = columnStore == null ? 0 : columnStore.getBufferedSize();
        for (NumericPageWriter writer : numeric) {
            size += writer == null ? 0 : writer.bufferedSize();
        }
        return size;
    }

    private void flushRowGroup() throws IOException {
        if (!rowGroupOpen) {
            return;
        }
        if (rowGroupRows > 0) {
            fileWriter.startBlock(rowGroupRows);
            for (NumericPageWriter writer : numeric) {
                if (writer != null) {
                    writer.finishRowGroup();
                }
            }
            if (columnStore != null) {
                columnStore.flush();
            }
            pageStore.flushToFileWriter(fileWriter);
            fileWriter.endBlock();
        }
        if (columnStore != null) {
            columnStore.close();
        }
        pageStore.close();
        columnStore = null;
        pageStore = null;
        rowGroupOpen = false;
    }

    private static void checkNulls(ColumnLayout layout, FieldVector vector) {
        if (!layout.nullable() && vector.getNullCount() > 0) {
            throw new IllegalArgumentException(
                    "column '"
                            + layout.name()
                            + "' is declared not nullable but holds "
                            + vector.getNullCount()
                            + " nulls");
        }
    }

    private void writeColumn(
            ColumnLayout layout, FieldVector vector, ColumnWriter writer, int from, int count) {
        int maxDefinition =
                (layout.nullable() ? 1 : 0)
                        + (layout.shape() == ColumnLayout.Shape.FLAT
                                ? 0
                                : 1 + (layout.elementNullable() ? 1 : 0));
        ColumnLayout.Leaf leaf = layout.leaf();
        if (layout.shape() == ColumnLayout.Shape.FLAT) {
            for (int i = from, end = from + count; i < end; i++) {
                if (vector.isNull(i)) {
                    writer.writeNull(0, 0);
                } else {
                    writeValue(writer, leaf, vector, i, 0, maxDefinition);
                }
            }
            return;
        }
        int listDefinition = layout.nullable() ? 1 : 0;
        boolean fixed = layout.shape() == ColumnLayout.Shape.FIXED_SIZE_LIST;
        FieldVector child =
                fixed
                        ? ((FixedSizeListVector) vector).getDataVector()
                        : ((ListVector) vector).getDataVector();
        for (int i = from, end = from + count; i < end; i++) {
            if (vector.isNull(i)) {
                writer.writeNull(0, 0);
                continue;
            }
            int start;
            int stop;
            if (fixed) {
                start = i * layout.listSize();
                stop = start + layout.listSize();
            } else {
                start = ((ListVector) vector).getElementStartIndex(i);
                stop = ((ListVector) vector).getElementEndIndex(i);
            }
            if (start == stop) {
                writer.writeNull(0, listDefinition);
                continue;
            }
            for (int j = start; j < stop; j++) {
                int repetition = j == start ? 0 : 1;
                if (child.isNull(j)) {
                    writer.writeNull(repetition, maxDefinition - 1);
                } else {
                    writeValue(writer, leaf, child, j, repetition, maxDefinition);
                }
            }
        }
    }

    private static void writeValue(
            ColumnWriter writer,
            ColumnLayout.Leaf leaf,
            FieldVector vector,
            int index,
            int repetition,
            int definition) {
        switch (leaf) {
            case BOOLEAN ->
                    writer.write(((BitVector) vector).get(index) != 0, repetition, definition);
            case STRING, BINARY ->
                    writer.write(
                            Binary.fromConstantByteArray(
                                    ((BaseVariableWidthVector) vector).get(index)),
                            repetition,
                            definition);
            default ->
                    throw new IllegalStateException(
                            leaf + " columns are written by NumericPageWriter");
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
