package io.rayzerocopy.spi;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.util.concurrent.CompletableFuture;

/** One running actor. Calls run one at a time, in submission order. */
@Stable
public interface ActorHandle {

    /** The actor's name, for logs and errors. */
    String name();

    /** Completes when the actor is constructed, or exceptionally with the constructor's error. */
    CompletableFuture<Void> ready();

    /**
     * Queues {@code input} for the actor. The caller keeps ownership of {@code input} and must
     * leave it untouched until the future completes. The result lives in {@code resultAllocator}
     * and belongs to the caller; the future fails with the actor's exception if the call throws.
     */
    CompletableFuture<VectorSchemaRoot> submit(
            VectorSchemaRoot input, BufferAllocator resultAllocator);

    /**
     * Stops the actor after its queued calls, closes it and releases its memory. Completes
     * exceptionally if closing fails or the actor leaked Arrow memory.
     */
    CompletableFuture<Void> stop();
}
