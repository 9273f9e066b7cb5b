package io.rayzerocopy;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * A running job's progress, as reported to {@link ExecutionOptions.Builder#progress}: rows written
 * so far, errored rows, input rows read so far, the input's total when known (Parquet footers; for
 * a resumed job, the rows of the input files still to do), and elapsed time. A {@code mapBatches}
 * function may return more or fewer rows than it gets, so completion is measured on input rows.
 * Immutable; made by the job runtimes ({@link io.rayzerocopy.spi.Results} for engines).
 */
public final class Progress {
    private final long rows;
    private final long erroredRows;
    private final long inputRows;
    private final OptionalLong totalRows;
    private final Duration elapsed;

    Progress(long rows, long erroredRows, long inputRows, OptionalLong totalRows, Duration elapsed) {
        this.rows = rows;
        this.erroredRows = erroredRows;
        this.inputRows = inputRows;
        this.totalRows = Objects.requireNonNull(totalRows, "totalRows");
        this.elapsed = Objects.requireNonNull(elapsed, "elapsed");
    }

    /** Rows written so far. */
    public long rows() {
        return rows;
    }

    /** Rows given up on so far. */
    public long erroredRows() {
        return erroredRows;
    }

    /** Input rows read so far. */
    public long inputRows() {
        return inputRows;
    }

    /** The input's rows, when known. */
    public OptionalLong totalRows() {
        return totalRows;
    }

    /** Time since the job started. */
    public Duration elapsed() {
        return elapsed;
    }

    /** Rows written per second so far. */
    public double rowsPerSecond() {
        double s = elapsed.toNanos() / 1e9;
        return s <= 0 ? 0 : rows / s;
    }

    /** The fraction of the input read, when the total is known. */
    public OptionalDouble fractionDone() {
        if (totalRows.isEmpty()) {
            return OptionalDouble.empty();
        }
        long total = totalRows.getAsLong();
        return OptionalDouble.of(total == 0 ? 1.0 : Math.min(1.0, inputRows / (double) total));
    }

    /** Estimated time left, when the total is known and progress has been made. */
    public Duration eta() {
        if (totalRows.isEmpty() || inputRows == 0) {
            return null;
        }
        long left = Math.max(0, totalRows.getAsLong() - inputRows);
        return Duration.ofNanos((long) (elapsed.toNanos() * (double) left / inputRows));
    }

    @Override
    public String toString() {
        return String.format(
                "%,d rows (%,d errored), %,d input rows of %s, %.1f s",
                rows,
                erroredRows,
                inputRows,
                totalRows.isPresent() ? String.format("%,d", totalRows.getAsLong()) : "?",
                elapsed.toNanos() / 1e9);
    }
}
