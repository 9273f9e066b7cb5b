package io.rayzerocopy;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Per-operator statistics of one run, in pipeline order (read, maps, then the consumer).
 * Serializable, so that tasks of a cluster job report theirs. Immutable; made by the job runtimes
 * ({@link io.rayzerocopy.spi.Results} for engines).
 */
public final class ExecutionStats implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<OperatorStats> operators;
    private final Duration wallTime;

    ExecutionStats(List<OperatorStats> operators, Duration wallTime) {
        this.operators = List.copyOf(operators);
        this.wallTime = Objects.requireNonNull(wallTime, "wallTime");
    }

    /** The operators' statistics, in pipeline order. */
    public List<OperatorStats> operators() {
        return operators;
    }

    /** The run's wall time. */
    public Duration wallTime() {
        return wallTime;
    }

    /** These stats with {@code stats} appended as the last operator (the local writer's). */
    ExecutionStats plus(OperatorStats stats, Duration totalWallTime) {
        List<OperatorStats> all = new ArrayList<>(operators);
        all.add(stats);
        return new ExecutionStats(all, totalWallTime);
    }

    /** Rows read by the first operator. */
    public long inputRows() {
        return operators.isEmpty() ? 0 : operators.get(0).rows();
    }

    /** Rows given up on by all operators. */
    public long erroredRows() {
        return operators.stream().mapToLong(OperatorStats::erroredRows).sum();
    }

    /** What the actors of all operators counted under {@code name}, e.g. non-finite features. */
    public long counter(String name) {
        return operators.stream().mapToLong(o -> o.counters().getOrDefault(name, 0L)).sum();
    }

    @Override
    public String toString() {
        StringBuilder text =
                new StringBuilder(String.format("run took %.3f s", wallTime.toNanos() / 1e9));
        for (OperatorStats operator : operators) {
            text.append("\n  ").append(operator);
        }
        return text.toString();
    }
}
