package io.rayzerocopy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What {@link Dataset#writeParquet} wrote: the output directory and its committed files (local
 * paths, or URIs such as {@code hdfs://...}), the rows in them, rows recorded as
 * errored (in {@code directory/_errors}), how long this run took, and its per-operator statistics.
 * A resumed job ({@link ParquetWriteOptions#resume()}) also reports the input splits (files) it
 * skipped because the run it resumed had committed them, and the rows of those splits; the row
 * counts cover the whole output, resumed splits included. Immutable; made by the job runtimes
 * ({@link io.rayzerocopy.spi.Results} for engines).
 */
public final class WriteResult {
    private final String directory;
    private final List<String> files;
    private final long rowsWritten;
    private final long erroredRows;
    private final Duration elapsed;
    private final ExecutionStats stats;
    private final int skippedSplits;
    private final long resumedRows;

    WriteResult(
            String directory,
            List<String> files,
            long rowsWritten,
            long erroredRows,
            Duration elapsed,
            ExecutionStats stats,
            int skippedSplits,
            long resumedRows) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.files = List.copyOf(files);
        this.rowsWritten = rowsWritten;
        this.erroredRows = erroredRows;
        this.elapsed = Objects.requireNonNull(elapsed, "elapsed");
        this.stats = Objects.requireNonNull(stats, "stats");
        this.skippedSplits = skippedSplits;
        this.resumedRows = resumedRows;
    }

    /** The output directory: a local path or a URI. */
    public String directory() {
        return directory;
    }

    /** The committed data files, in order. */
    public List<String> files() {
        return files;
    }

    /** Rows in the output, resumed splits included. */
    public long rowsWritten() {
        return rowsWritten;
    }

    /** Rows recorded in {@code _errors}. */
    public long erroredRows() {
        return erroredRows;
    }

    /** How long this run took. */
    public Duration elapsed() {
        return elapsed;
    }

    /** This run's per-operator statistics. */
    public ExecutionStats stats() {
        return stats;
    }

    /** Input splits a resumed run skipped: the run it resumed had committed them. */
    public int skippedSplits() {
        return skippedSplits;
    }

    /** Rows of the skipped splits. */
    public long resumedRows() {
        return resumedRows;
    }

    /** Wall time in seconds. */
    public double seconds() {
        return elapsed.toNanos() / 1e9;
    }

    @Override
    public String toString() {
        return String.format(
                "wrote %,d rows (%,d errored) to %s in %d files, %.3f s%s",
                rowsWritten,
                erroredRows,
                directory,
                files.size(),
                seconds(),
                skippedSplits == 0 ? "" : "; " + skippedSplits + " splits resumed");
    }
}
