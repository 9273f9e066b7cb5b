package io.rayzerocopy.internal.data;

import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The width of each variable-size list column of a file (one that other tools wrote: Spark and
 * Hive mark no fixed size, so a width is known only from the data), as far as the footer proves
 * it without reading a page. A column chunk counts one value per list element; when its statistics
 * say no value is null (so there is no null or empty list either) and every row group holds a
 * whole number of values per row, the same in each, that number is every row's width, or the file
 * mixes widths and no batch of it could be stacked into one tensor anyway. Columns the footer
 * cannot settle (no statistics, nulls) are left out: their widths are found when batches are made.
 */
final class ListWidths {
    private ListWidths() {}

    /** Column name to values per row, for the list columns of {@code schema} the footer settles. */
    static Map<String, Long> of(ParquetMetadata footer, Schema schema) {
        Map<String, Long> widths = new LinkedHashMap<>();
        for (Field field : schema.getFields()) {
            if (field.getType() instanceof ArrowType.List) {
                long width = width(footer.getBlocks(), field.getName());
                if (width > 0) {
                    widths.put(field.getName(), width);
                }
            }
        }
        return widths;
    }

    /** Values per row of top-level list column {@code column}, or -1 if the footer cannot tell. */
    private static long width(List<BlockMetaData> rowGroups, String column) {
        long width = -1;
        for (BlockMetaData rowGroup : rowGroups) {
            ColumnChunkMetaData chunk = chunk(rowGroup, column);
            long rows = rowGroup.getRowCount();
            if (rows == 0) {
                continue;
            }
            Statistics<?> stats = chunk == null ? null : chunk.getStatistics();
            if (stats == null
                    || !stats.isNumNullsSet()
                    || stats.getNumNulls() != 0
                    || chunk.getValueCount() % rows != 0
                    || (width >= 0 && width != chunk.getValueCount() / rows)) {
                return -1;
            }
            width = chunk.getValueCount() / rows;
        }
        return width;
    }

    private static ColumnChunkMetaData chunk(BlockMetaData rowGroup, String column) {
        for (ColumnChunkMetaData chunk : rowGroup.getColumns()) {
            if (chunk.getPath().size() == 3 && chunk.getPath().toArray()[0].equals(column)) {
                return chunk;
            }
        }
        return null;
    }
}
