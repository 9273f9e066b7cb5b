package io.rayzerocopy;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-operator statistics of one run, in pipeline order (read, maps, then the consumer).
 * Serializable, so that tasks of a cluster job report theirs.
 */
public record ExecutionStats(List<OperatorStats> operators, Duration wallTime)
        implements Serializable {

    public ExecutionStats {
        operators = List.copyOf(operators);
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
