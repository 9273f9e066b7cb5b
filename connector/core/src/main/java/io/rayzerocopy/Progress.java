package io.rayzerocopy;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * A running job's progress, as reported to {@link ExecutionOptions.Builder#progress}: rows written
 * so far, errored rows, the input's total when known (Parquet footers), and elapsed time.
 */
public record Progress(long rows, long erroredRows, OptionalLong totalRows, Duration elapsed) {
    /** Rows per second so far. */
    public double rowsPerSecond() {
        double s = elapsed.toNanos() / 1e9;
        return s <= 0 ? 0 : rows / s;
    }

    /** Estimated time left, when the total is known and progress has been made. */
    public Duration eta() {
        if (totalRows.isEmpty() || rows + erroredRows == 0) {
            return null;
        }
        long left = Math.max(0, totalRows.getAsLong() - rows - erroredRows);
        return Duration.ofNanos((long) (elapsed.toNanos() * (double) left / (rows + erroredRows)));
    }
}
