package io.rayzerocopy;

import java.io.Serializable;
import java.util.Objects;

/**
 * How many actors {@link Dataset#mapBatches} runs: a fixed {@link #size(int)} or {@link
 * #autoscaling(int, int)} between a minimum and a maximum (grown while batches wait for a free
 * actor, shrunk when actors sit idle), how many batches may be queued on each actor, and the CPUs
 * each actor expects. Immutable: the {@code with}-style methods return new strategies.
 */
public final class ActorPoolStrategy implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int minSize;
    private final int maxSize;
    private final int maxTasksInFlightPerActor;
    private final double cpusPerActor;

    private ActorPoolStrategy(
            int minSize, int maxSize, int maxTasksInFlightPerActor, double cpusPerActor) {
        this.minSize = minSize;
        this.maxSize = maxSize;
        this.maxTasksInFlightPerActor = maxTasksInFlightPerActor;
        this.cpusPerActor = cpusPerActor;
    }

    /** Exactly {@code size} actors, 2 batches in flight per actor, 1 CPU each. */
    public static ActorPoolStrategy size(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("pool size must be > 0, got " + size);
        }
        return new ActorPoolStrategy(size, size, 2, 1);
    }

    /** Between {@code min} and {@code max} actors, 2 batches in flight per actor, 1 CPU each. */
    public static ActorPoolStrategy autoscaling(int min, int max) {
        if (min <= 0 || max < min) {
            throw new IllegalArgumentException(
                    "autoscaling needs 0 < min <= max, got min=" + min + ", max=" + max);
        }
        return new ActorPoolStrategy(min, max, 2, 1);
    }

    /**
     * At most {@code k} batches queued on one actor at a time (the one it runs included). More
     * hides hand-over latency; fewer bounds memory.
     */
    public ActorPoolStrategy maxTasksInFlightPerActor(int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("maxTasksInFlightPerActor must be > 0, got " + k);
        }
        return new ActorPoolStrategy(minSize, maxSize, k, cpusPerActor);
    }

    /**
     * CPUs one actor uses (e.g. its torch threads). Runtimes that place actors honour it; in-JVM
     * threads only warn when the pool would oversubscribe the machine.
     */
    public ActorPoolStrategy cpusPerActor(double cpus) {
        if (!(cpus > 0)) {
            throw new IllegalArgumentException("cpusPerActor must be > 0, got " + cpus);
        }
        return new ActorPoolStrategy(minSize, maxSize, maxTasksInFlightPerActor, cpus);
    }

    public int minSize() {
        return minSize;
    }

    public int maxSize() {
        return maxSize;
    }

    public boolean isAutoscaling() {
        return minSize != maxSize;
    }

    public int maxTasksInFlightPerActor() {
        return maxTasksInFlightPerActor;
    }

    public double cpusPerActor() {
        return cpusPerActor;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActorPoolStrategy other
                && minSize == other.minSize
                && maxSize == other.maxSize
                && maxTasksInFlightPerActor == other.maxTasksInFlightPerActor
                && cpusPerActor == other.cpusPerActor;
    }

    @Override
    public int hashCode() {
        return Objects.hash(minSize, maxSize, maxTasksInFlightPerActor, cpusPerActor);
    }

    @Override
    public String toString() {
        return (isAutoscaling()
                        ? "ActorPoolStrategy.autoscaling(" + minSize + ", " + maxSize + ")"
                        : "ActorPoolStrategy.size(" + minSize + ")")
                + ".maxTasksInFlightPerActor("
                + maxTasksInFlightPerActor
                + ").cpusPerActor("
                + cpusPerActor
                + ")";
    }
}
