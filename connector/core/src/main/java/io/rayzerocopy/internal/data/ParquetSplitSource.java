package io.rayzerocopy.internal.data;

import io.rayzerocopy.internal.storage.Storage;
import io.rayzerocopy.spi.JobPlan;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The rows of some {@link ParquetSplit}s, in order, as a {@link BatchSource}: what one task of a
 * cluster job reads. Serializable (paths, row groups and column names only), so the driver plans
 * splits ({@link #plan}) and ships them to the tasks. Batch row ranges name the file and the rows'
 * numbers in the whole file, as {@link ParquetSource}'s do.
 */
public final class ParquetSplitSource implements BatchSource, JobPlan.Split {
    private static final long serialVersionUID = 2L;

    private final List<ParquetSplit> splits;
    private final List<String> columns;
    private final Partitions partitions;

    private ParquetSplitSource(
            List<ParquetSplit> splits, List<String> columns, Partitions partitions) {
        this.splits = splits;
        this.columns = columns;
        this.partitions = partitions;
    }

    /** The rows of {@code splits}, in order; {@code columns} null or empty for all columns. */
    public static ParquetSplitSource of(List<ParquetSplit> splits, List<String> columns) {
        Objects.requireNonNull(splits, "splits");
        if (splits.isEmpty()) {
            throw new IllegalArgumentException("give at least one split");
        }
        return new ParquetSplitSource(
                List.copyOf(splits),
                columns == null || columns.isEmpty() ? null : List.copyOf(columns),
                Partitions.NONE);
    }

    /**
     * Cuts the input of a dataset into sources of one split each, in read order: runs of whole row
     * groups of at most {@code maxRowsPerSplit} rows ({@code Long.MAX_VALUE}: one per file). Checks
     * on the way, from the footers, that every file has the selected columns with the first file's
     * types, so that a job fails here, before any task runs.
     *
     * @throws IllegalArgumentException if {@code source} does not read Parquet files, or a file
     *     lacks a selected column or disagrees with the first file's schema (naming both)
     */
    public static List<ParquetSplitSource> plan(BatchSource source, long maxRowsPerSplit) {
        if (!(source instanceof ParquetSource parquet)) {
            throw new IllegalArgumentException(
                    "a job on a cluster reads Parquet files (Dataset.readParquet), but this dataset"
                            + " reads "
                            + source
                            + "; run it on the threads or processes runtime");
        }
        List<String> columns = parquet.columns().isEmpty() ? null : parquet.columns();
        List<String> files = parquet.files();
        Partitions partitions = parquet.partitions();
        Schema first = null;
        for (String file : files) {
            try (ParquetFileBatches batches = new ParquetFileBatches(file, columns, partitions)) {
                if (first == null) {
                    first = batches.schema();
                } else if (!first.equals(batches.schema())) {
                    throw new IllegalArgumentException(
                            ParquetFilesReader.mismatch(
                                    file, batches.schema(), files.get(0), first));
                }
            }
        }
        List<ParquetSplitSource> sources = new ArrayList<>();
        for (ParquetSplit split : ParquetSplit.plan(files, maxRowsPerSplit)) {
            sources.add(new ParquetSplitSource(List.of(split), columns, partitions));
        }
        return sources;
    }

    /** The splits, in read order. */
    public List<ParquetSplit> parquetSplits() {
        return splits;
    }

    /** The first split's, e.g. {@code a.parquet row groups [0, 3)}: what names it in the job's record. */
    @Override
    public String name() {
        return splits.get(0).toString();
    }

    /** What identifies the content of the first split's file ({@link Storage#fingerprint}). */
    public String fingerprint() {
        return Storage.fingerprint(splits.get(0).file());
    }

    @Override
    public long rows() {
        return rowCount().getAsLong();
    }

    @Override
    public Schema schema() {
        ParquetSplit first = splits.get(0);
        try (ParquetFileBatches file =
                new ParquetFileBatches(first.file(), columns, partitions)) {
            return file.schema();
        }
    }

    @Override
    public OptionalLong rowCount() {
        return OptionalLong.of(splits.stream().mapToLong(ParquetSplit::rows).sum());
    }

    @Override
    public ParquetSplitSource select(List<String> selected) {
        Objects.requireNonNull(selected, "columns");
        if (selected.isEmpty() || Set.copyOf(selected).size() != selected.size()) {
            throw new IllegalArgumentException(
                    "select at least one column, each once; got " + selected);
        }
        return new ParquetSplitSource(splits, List.copyOf(selected), partitions);
    }

    @Override
    public BatchReader open(BufferAllocator allocator, int batchSize) {
        Objects.requireNonNull(allocator, "allocator");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        List<Supplier<ParquetFileBatches>> parts = new ArrayList<>();
        for (ParquetSplit split : splits) {
            parts.add(
                    () ->
                            new ParquetFileBatches(
                                    split.file(),
                                    columns,
                                    partitions,
                                    split.firstRowGroup(),
                                    split.rowGroupCount()));
        }
        return new ParquetFilesReader(parts, allocator, batchSize, false);
    }

    @Override
    public String toString() {
        return "ParquetSplitSource"
                + (splits.size() == 1 ? "[" + splits.get(0) + "]" : splits)
                + (columns == null ? "" : " columns " + columns);
    }
}
