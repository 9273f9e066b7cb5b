package io.rayzerocopy.internal.data;

import io.rayzerocopy.DatasetException;
import io.rayzerocopy.internal.storage.ParquetFiles;
import io.rayzerocopy.internal.storage.Storage;

import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A unit of work a cluster schedules: consecutive whole row groups {@code [firstRowGroup,
 * firstRowGroup + rowGroupCount)} of one Parquet file holding {@code rows} rows. Planned on the
 * driver from footers alone ({@link #plan}); the output parts of a split are committed together.
 */
public record ParquetSplit(String file, int firstRowGroup, int rowGroupCount, long rows)
        implements Serializable {

    public ParquetSplit {
        Objects.requireNonNull(file, "file");
        if (firstRowGroup < 0 || rowGroupCount < 0 || rows < 0) {
            throw new IllegalArgumentException(
                    "a split needs row groups and rows >= 0, got row groups ["
                            + firstRowGroup
                            + ", +"
                            + rowGroupCount
                            + ") and "
                            + rows
                            + " rows of "
                            + file);
        }
    }

    /**
     * Cuts {@code files} into runs of whole row groups of at most {@code maxRowsPerSplit} rows each
     * (a larger row group is a split of its own), in file and row order; {@code Long.MAX_VALUE}
     * gives one split per file. A file without row groups is one empty split, so every file is
     * seen. Reads only the footers.
     *
     * @throws IllegalArgumentException if {@code maxRowsPerSplit} is not positive
     * @throws DatasetException naming the file whose footer cannot be read
     */
    public static List<ParquetSplit> plan(List<String> files, long maxRowsPerSplit) {
        if (maxRowsPerSplit <= 0) {
            throw new IllegalArgumentException(
                    "rows per split must be > 0, got " + maxRowsPerSplit);
        }
        List<ParquetSplit> splits = new ArrayList<>();
        for (String file : files) {
            String name = Storage.normalize(file);
            List<BlockMetaData> blocks = rowGroups(file);
            int first = 0;
            long rows = 0;
            for (int i = 0; i < blocks.size(); i++) {
                long groupRows = blocks.get(i).getRowCount();
                if (i > first && rows + groupRows > maxRowsPerSplit) {
                    splits.add(new ParquetSplit(name, first, i - first, rows));
                    first = i;
                    rows = 0;
                }
                rows += groupRows;
            }
            if (first < blocks.size() || blocks.isEmpty()) {
                splits.add(new ParquetSplit(name, first, blocks.size() - first, rows));
            }
        }
        return splits;
    }

    private static List<BlockMetaData> rowGroups(String file) {
        try (ParquetFileReader reader =
                ParquetFileReader.open(
                        ParquetFiles.input(file),
                        ParquetReadOptions.builder(new PlainParquetConfiguration()).build())) {
            return reader.getFooter().getBlocks();
        } catch (IOException | RuntimeException e) {
            throw new DatasetException(
                    "cannot read the footer of Parquet file "
                            + Storage.mask(file)
                            + ": "
                            + Storage.describe(e),
                    e);
        }
    }


    @Override
    public String toString() {
        return file
                + " row groups ["
                + firstRowGroup
                + ", "
                + (firstRowGroup + rowGroupCount)
                + ") ("
                + rows
                + " rows)";
    }
}
