package io.rayzerocopy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What {@link Dataset#writeParquet} wrote: the committed files, rows written, rows recorded as
 * errored (in {@code directory/_errors}), how long it took, and per-operator statistics. Rows
 * written plus errored rows equal the rows read.
 */
public record WriteResult(
        Path directory,
        List<Path> files,
        long rowsWritten,
        long erroredRows,
        Duration elapsed,
        ExecutionStats stats) {

    public WriteResult {
        files = List.copyOf(files);
    }

    /** Wall time in seconds. */
    public double seconds() {
        return elapsed.toNanos() / 1e9;
    }
}
