package io.rayzerocopy;

import java.io.Serializable;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one operator did in a run: rows and batches it produced, rows it gave up on (errored), its
 * wall time from start to end, its busy time (time spent working: decoding, encoding, or inside
 * actor calls summed over actors, so it can exceed the wall time), the time it spent blocked
 * because the next operator was not taking batches (backpressure), and what its actors counted
 * (e.g. {@link ModelScorer#NON_FINITE_FEATURES}), summed over batches.
 */
public record OperatorStats(
        String name,
        long rows,
        long batches,
        long erroredRows,
        Duration wallTime,
        Duration busyTime,
        Duration blockedTime,
        Map<String, Long> counters)
        implements Serializable {

    public OperatorStats {
        counters = Collections.unmodifiableMap(new TreeMap<>(counters));
    }

    /** Stats of an operator that counts nothing. */
    public OperatorStats(
            String name,
            long rows,
            long batches,
            long erroredRows,
            Duration wallTime,
            Duration busyTime,
            Duration blockedTime) {
        this(name, rows, batches, erroredRows, wallTime, busyTime, blockedTime, Map.of());
    }

    /** Rows produced per second of wall time. */
    public double rowsPerSecond() {
        double seconds = wallTime.toNanos() / 1e9;
        return seconds == 0 ? 0 : rows / seconds;
    }

    @Override
    public String toString() {
        return String.format(
                        "%s: %,d rows, %,d batches, %,d errored rows, %.3f s wall, %,.0f rows/s,"
                                + " %.3f s busy, %.3f s blocked",
                        name,
                        rows,
                        batches,
                        erroredRows,
                        wallTime.toNanos() / 1e9,
                        rowsPerSecond(),
                        busyTime.toNanos() / 1e9,
                        blockedTime.toNanos() / 1e9)
                + (counters.isEmpty() ? "" : ", counted " + counters);
    }
}
