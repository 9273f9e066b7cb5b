package io.rayzerocopy;

import io.rayzerocopy.internal.exec.BatchProcessor;

/**
 * The actor a job builds from {@code mapBatches(factory, argument, ...)}, built on the caller's
 * thread: lets a harness time one stage alone, with the same code path as the job's actors (the
 * function, its batch and its output), without a pool or a hand-off. Lives in the API's package
 * because the spec behind {@code mapBatches} is package-private; benchmarks only.
 */
public final class BenchActors {
    private BenchActors() {}

    /** The actor {@code factory} makes from {@code argument}; the caller closes it. */
    public static <C> BatchProcessor actor(ActorFactory<C> factory, C argument) throws Exception {
        return ActorSpecs.factory(factory, argument).create();
    }
}
