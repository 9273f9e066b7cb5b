package io.rayzerocopy.internal.data;

import io.rayzerocopy.DatasetException;
import io.rayzerocopy.internal.storage.ParquetFiles;
import io.rayzerocopy.internal.storage.Storage;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Batches of one Parquet file, decoded row group by row group, with the file's partition values
 * ({@link Partitions}) as constant columns.
 */
final class ParquetFileBatches implements AutoCloseable {
    private final String file;
    private final ParquetFileReader reader;
    private final MessageType requested;
    private final Schema schema;
    private final List<ColumnDecoder> decoders = new ArrayList<>();

    /** The vector each decoder fills, by decoder. */
    private final List<Integer> decoded = new ArrayList<>();

    /** The partition columns' vectors and values. */
    private final Map<Integer, Object> constants = new LinkedHashMap<>();

    private final String createdBy;
    private PageReadStore rowGroup;
    private long rowGroupRowsLeft;
    private long fileRow;
    private int rowGroupsLeft;
    private long endRow;

    /** All row groups of {@code file}; {@code columns} null for all columns. */
    ParquetFileBatches(String file, List<String> columns) {
        this(file, columns, Partitions.NONE);
    }

    /** All row groups of {@code file}, with partition columns. */
    ParquetFileBatches(String file, List<String> columns, Partitions partitions) {
        this(file, columns, partitions, 0, Integer.MAX_VALUE);
    }

    /**
     * Row groups {@code [firstRowGroup, firstRowGroup + rowGroupCount)} of {@code file} (fewer if
     * the file ends first); batch row ranges keep the rows' numbers in the whole file.
     */
    ParquetFileBatches(
            String file,
            List<String> columns,
            Partitions partitions,
            int firstRowGroup,
            int rowGroupCount) {
        this.file = file;
        try {
            reader =
                    ParquetFileReader.open(
                            ParquetFiles.input(file),
                            ParquetReadOptions.builder(new PlainParquetConfiguration())
                                    .withCodecFactory(new ReadCodecs())
                                    .withUseHadoopVectoredIo(!Storage.isLocal(file))
                                    .build());
        } catch (IOException | RuntimeException e) {
            throw new DatasetException(
                    "cannot read Parquet file "
                            + Storage.mask(file)
                            + ": "
                            + Storage.describe(e),
                    e);
        }
        try {
            FileMetaData metadata = reader.getFooter().getFileMetaData();
            MessageType fileSchema = metadata.getSchema();
            createdBy = metadata.getCreatedBy();
            List<Field> arrowFields = new ArrayList<>();
            List<Type> fields = plan(fileSchema, columns, partitions, arrowFields);
            requested = new MessageType(fileSchema.getName(), fields);
            Map<String, String> keyValues = metadata.getKeyValueMetaData();
            List<ColumnDescriptor> descriptors = requested.getColumns();
            for (int i = 0; i < fields.size(); i++) {
                ColumnLayout layout =
                        ColumnLayout.fromParquet(fields.get(i), keyValues, Storage.mask(file));
                arrowFields.set(decoded.get(i), layout.arrowField());
                decoders.add(new ColumnDecoder(layout, descriptors.get(i), Storage.mask(file)));
            }
            schema = new Schema(arrowFields);
            reader.setRequestedSchema(requested);
            selectRowGroups(firstRowGroup, rowGroupCount);
        } catch (RuntimeException e) {
            closeQuietly(e);
            throw e;
        }
    }

    /**
     * Plans the batch's columns: each partition column's vector and value go to {@link
     * #constants}, each file column's vector to {@link #decoded}; {@code arrowFields} gets the
     * partition columns' fields and a null placeholder per file column. Returns the file columns.
     */
    private List<Type> plan(
            MessageType fileSchema,
            List<String> columns,
            Partitions partitions,
            List<Field> arrowFields) {
        Map<String, Object> values = partitions.values(file);
        List<Type> fields = new ArrayList<>();
        for (String name : columnNames(fileSchema, columns, partitions)) {
            Partitions.Column partition = partitions.column(name);
            if (partition != null) {
                constants.put(arrowFields.size(), values.get(name));
                arrowFields.add(Partitions.field(name, partition.type()));
                continue;
            }
            if (!fileSchema.containsField(name)) {
                throw new IllegalArgumentException(
                        "column '"
                                + name
                                + "' does not exist in "
                                + Storage.mask(file)
                                + "; its columns are "
                                + fileSchema.getFields().stream()
                                        .map(Type::getName)
                                        .collect(Collectors.joining(", "))
                                + (partitions.isEmpty()
                                        ? ""
                                        : ", and partition columns "
                                                + String.join(", ", values.keySet())));
            }
            decoded.add(arrowFields.size());
            fields.add(fileSchema.getType(name));
            arrowFields.add(null);
        }
        return fields;
    }

    /**
     * The columns read, in order: {@code columns} if given, else the file's columns (a partition
     * column's value replacing a file column of its name, as in Spark) and then the other partition
     * columns.
     */
    private static List<String> columnNames(
            MessageType fileSchema, List<String> columns, Partitions partitions) {
        if (columns != null) {
            return columns;
        }
        List<String> names = new ArrayList<>();
        fileSchema.getFields().forEach(f -> names.add(f.getName()));
        for (Partitions.Column partition : partitions.columns()) {
            if (!names.contains(partition.name())) {
                names.add(partition.name());
            }
        }
        return names;
    }

    String file() {
        return file;
    }

    Schema schema() {
        return schema;
    }

    /**
     * The widths of the selected variable-size list columns that the footer settles ({@link
     * ListWidths}).
     */
    Map<String, Long> listWidths() {
        return ListWidths.of(reader.getFooter(), schema);
    }

    /** Rows of the selected row groups. */
    long rowCount() {
        return endRow - fileRow;
    }

    /** The next batch of at most {@code batchSize} rows, or {@code null} when the file is done. */
    SourceBatch next(BufferAllocator allocator, int batchSize) {
        try {
            if (!advanceRowGroup()) {
                return null;
            }
            int rows = (int) Math.min(batchSize, remainingRows());
            VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
            try {
                for (int c = 0; c < decoders.size(); c++) {
                    decoders.get(c).startBatch(root.getVector(decoded.get(c)), rows);
                }
                int filled = 0;
                while (filled < rows) {
                    advanceRowGroup();
                    int take = (int) Math.min(rows - filled, rowGroupRowsLeft);
                    for (ColumnDecoder decoder : decoders) {
                        decoder.read(filled, take, fileRow + filled);
                    }
                    filled += take;
                    rowGroupRowsLeft -= take;
                }
                for (ColumnDecoder decoder : decoders) {
                    decoder.finishBatch(rows);
                }
                constants.forEach((c, value) -> Partitions.fill(root.getVector(c), value, rows));
                root.setRowCount(rows);
                RowRange range = new RowRange(file, fileRow, rows);
                fileRow += rows;
                return new SourceBatch(root, range);
            } catch (RuntimeException e) {
                root.close();
                throw e;
            }
        } catch (DatasetException | IllegalArgumentException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DatasetException(
                    "cannot decode "
                            + Storage.mask(file)
                            + " near row "
                            + fileRow
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    private long remainingRows() {
        return endRow - fileRow;
    }

    /** Skips the row groups before {@code first} (footer only) and stops after {@code count}. */
    private void selectRowGroups(int first, int count) {
        List<BlockMetaData> blocks = reader.getFooter().getBlocks();
        if (first < 0 || count < 0 || first > blocks.size()) {
            throw new IllegalArgumentException(
                    file
                            + " has "
                            + blocks.size()
                            + " row groups; cannot read "
                            + count
                            + " from row group "
                            + first);
        }
        int last = (int) Math.min(blocks.size(), (long) first + count);
        for (int i = 0; i < last; i++) {
            long rows = blocks.get(i).getRowCount();
            if (i < first) {
                reader.skipNextRowGroup();
                fileRow += rows;
            }
            endRow += rows;
        }
        rowGroupsLeft = last - first;
    }

    /** Makes sure the current row group has rows left; false at the end of the file. */
    private boolean advanceRowGroup() throws IOException {
        while (rowGroupRowsLeft == 0) {
            for (ColumnDecoder decoder : decoders) {
                decoder.flush();
            }
            if (rowGroupsLeft == 0) {
                return false;
            }
            rowGroup = reader.readNextRowGroup();
            if (rowGroup == null) {
                return false;
            }
            rowGroupsLeft--;
            rowGroupRowsLeft = rowGroup.getRowCount();
            ColumnReadStoreImpl store =
                    new ColumnReadStoreImpl(
                            rowGroup, IgnoringConverter.of(requested), requested, createdBy);
            for (ColumnDecoder decoder : decoders) {
                decoder.startRowGroup(rowGroup, store);
            }
        }
        return true;
    }

    @Override
    public void close() {
        closeQuietly(null);
    }

    private void closeQuietly(RuntimeException pending) {
        try {
            reader.close();
        } catch (IOException e) {
            if (pending != null) {
                pending.addSuppressed(e);
            } else {
                throw new DatasetException("cannot close " + Storage.mask(file), e);
            }
        }
    }

    /**
     * parquet-mr's column read store wants a converter tree; the decoders read values from the
     * column readers themselves, so these converters are never called.
     */
    private static final class IgnoringConverter extends GroupConverter {
        private final Converter[] children;

        private IgnoringConverter(GroupType type) {
            children = new Converter[type.getFieldCount()];
            for (int i = 0; i < children.length; i++) {
                Type child = type.getType(i);
                children[i] =
                        child.isPrimitive()
                                ? new PrimitiveConverter() {}
                                : new IgnoringConverter(child.asGroupType());
            }
        }

        static IgnoringConverter of(MessageType schema) {
            return new IgnoringConverter(schema);
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return children[fieldIndex];
        }

        @Override
        public void start() {}

        @Override
        public void end() {}
    }
}
