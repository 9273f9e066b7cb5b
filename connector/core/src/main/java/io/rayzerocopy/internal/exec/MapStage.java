package io.rayzerocopy.internal.exec;

import io.rayzerocopy.spi.ActorSpec;

import java.io.Serializable;
import java.util.Objects;

/**
 * One {@code mapBatches} operator: the actor to construct, at most {@code batchSize} rows per call,
 * a pool of {@code minActors}..{@code maxActors} actors with at most {@code maxInFlightPerActor}
 * batches queued on each, and the CPUs each actor expects. Serializable: a job runtime ships it to
 * its tasks.
 */
public record MapStage(
        String name,
        ActorSpec actor,
        int batchSize,
        int minActors,
        int maxActors,
        int maxInFlightPerActor,
        double cpusPerActor)
        implements Serializable {

    public MapStage {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(actor, "actor");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        if (minActors <= 0 || maxActors < minActors) {
            throw new IllegalArgumentException(
                    "need 0 < minActors <= maxActors, got " + minActors + " and " + maxActors);
        }
        if (maxInFlightPerActor <= 0) {
            throw new IllegalArgumentException(
                    "maxInFlightPerActor must be > 0, got " + maxInFlightPerActor);
        }
        if (!(cpusPerActor > 0)) {
            throw new IllegalArgumentException("cpusPerActor must be > 0, got " + cpusPerActor);
        }
    }
}
