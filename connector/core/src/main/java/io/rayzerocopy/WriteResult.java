package io.rayzerocopy;

import java.time.Duration;
import java.util.List;

/**
 * What {@link Dataset#writeParquet} wrote: the output directory and its committed files (local
 * paths, or URIs such as {@code hdfs://...}), the rows in them, rows recorded as
 * errored (in {@code directory/_errors}), how long this run took, and its per-operator statistics.
 * A resumed job ({@link ParquetWriteOptions#resume()}) also reports the input splits (files) it
 * skipped because the run it resumed had committed them, and the rows of those splits; the row
 * counts cover the whole output, resumed splits included.
 */
public record WriteResult(
        String directory,
        List<String> files,
        long rowsWritten,
        long erroredRows,
        Duration elapsed,
        ExecutionStats stats,
        int skippedSplits,
        long resumedRows) {

    public WriteResult {
        files = List.copyOf(files);
    }

    /** Wall time in seconds. */
    public double seconds() {
        return elapsed.toNanos() / 1e9;
    }
}
