package io.rayzerocopy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What {@link Dataset#writeParquet} wrote: the committed files, the rows in them, rows recorded as
 * errored (in {@code directory/_errors}), how long this run took, and its per-operator statistics.
 * A resumed job ({@link ParquetWriteOptions#resume()}) also reports the input splits (files) it
 * skipped because the run it resumed had committed them, and the rows of those splits; the row
 * counts cover the whole output, resumed splits included.
 */
public record WriteResult(
        Path directory,
        List<Path> files,
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
