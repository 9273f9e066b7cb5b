package io.rayzerocopy.spi;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Where actors run. The {@code threads} runtime runs them on threads of this JVM; a runtime of
 * worker processes or Ray actors implements the same contract: an {@link ActorSpec} is constructed once
 * per actor, and batches go in and come out as Arrow {@code VectorSchemaRoot}s.
 */
@Stable
public interface ActorRuntime extends AutoCloseable {

    /**
     * Starts constructing an actor and returns at once; {@link ActorHandle#ready()} tells when (and
     * whether) construction succeeded.
     */
    ActorHandle start(ActorSpec spec, String actorName);

    /**
     * Stops {@code actors} (taking them out of the list, under its lock) and waits up to {@code
     * timeoutSeconds} for each; failures to stop are ignored, as the runtime is closing.
     */
    static void stopAll(List<? extends ActorHandle> actors, long timeoutSeconds) {
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        synchronized (actors) {
            for (ActorHandle a : actors) {
                stops.add(a.stop());
            }
            actors.clear();
        }
        for (CompletableFuture<Void> s : stops) {
            s.orTimeout(timeoutSeconds, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }

    /** Stops actors that are still running and releases the runtime. */
    @Override
    void close();
}
