package io.rayzerocopy.exec;

/**
 * Where actors run. {@link ThreadRuntime} runs them on threads of this JVM; a runtime of worker
 * processes or Ray actors implements the same contract: an {@link ActorSpec} is constructed once
 * per actor, and batches go in and come out as Arrow {@code VectorSchemaRoot}s.
 */
public interface ActorRuntime extends AutoCloseable {

    /**
     * Starts constructing an actor and returns at once; {@link ActorHandle#ready()} tells when (and
     * whether) construction succeeded.
     */
    ActorHandle start(ActorSpec spec, String actorName);

    /** Stops actors that are still running and releases the runtime. */
    @Override
    void close();
}
