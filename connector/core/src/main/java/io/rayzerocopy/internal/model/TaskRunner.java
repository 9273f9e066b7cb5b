package io.rayzerocopy.internal.model;

import ai.djl.ndarray.NDList;

import java.util.concurrent.CompletableFuture;

/** Runs task-mode calls of a {@link io.rayzerocopy.ModelWrapper} on some pool of workers. */
public interface TaskRunner extends AutoCloseable {
    /**
     * Runs {@code method} on {@code inputs}; the outputs belong to the manager of the first input.
     */
    CompletableFuture<NDList> submit(String method, NDList inputs);

    /** Stops the workers. */
    @Override
    void close();
}
