package io.rayzerocopy;

import java.io.Serializable;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What one operator did in a run: rows and batches it produced, rows it gave up on (errored), its
 * wall time from start to end, its busy time (time spent working: decoding, encoding, or inside
 * actor calls summed over actors, so it can exceed the wall time), the time it spent blocked
 * because the next operator was not taking batches (backpressure), and what its actors counted
 * (e.g. {@link ModelScorer#NON_FINITE_FEATURES}), summed over batches. Immutable; made by the
 * job runtimes ({@link io.rayzerocopy.spi.Results} for engines).
 */
public final class OperatorStats implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final long rows;
    private final long batches;
    private final long erroredRows;
    private final Duration wallTime;
    private final Duration busyTime;
    private final Duration blockedTime;
    private final Map<String, Long> counters;

    OperatorStats(
            String name,
            long rows,
            long batches,
            long erroredRows,
            Duration wallTime,
            Duration busyTime,
            Duration blockedTime,
            Map<String, Long> counters) {
        this.name = Objects.requireNonNull(name, "name");
        this.rows = rows;
        this.batches = batches;
        this.erroredRows = erroredRows;
        this.wallTime = Objects.requireNonNull(wallTime, "wallTime");
        this.busyTime = Objects.requireNonNull(busyTime, "busyTime");
        this.blockedTime = Objects.requireNonNull(blockedTime, "blockedTime");
        this.counters = Collections.unmodifiableMap(new TreeMap<>(counters));
    }

    /** Stats of an operator that counts nothing. */
    OperatorStats(
            String name,
            long rows,
            long batches,
            long erroredRows,
            Duration wallTime,
            Duration busyTime,
            Duration blockedTime) {
        this(name, rows, batches, erroredRows, wallTime, busyTime, blockedTime, Map.of());
    }

    /** The operator's name: {@code read}, {@code map1(...)}, {@code write}. */
    public String name() {
        return name;
    }

    /** Rows it produced. */
    public long rows() {
        return rows;
    }

    /** Batches it produced. */
    public long batches() {
        return batches;
    }

    /** Rows it gave up on. */
    public long erroredRows() {
        return erroredRows;
    }

    /** Time from its start to its end. */
    public Duration wallTime() {
        return wallTime;
    }

    /** Time spent working, summed over actors. */
    public Duration busyTime() {
        return busyTime;
    }

    /** Time spent waiting for the next operator to take batches. */
    public Duration blockedTime() {
        return blockedTime;
    }

    /** What its actors counted, by name, summed over batches. */
    public Map<String, Long> counters() {
        return counters;
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
