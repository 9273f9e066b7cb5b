package io.rayzerocopy;

/**
 * Where a {@link Dataset}'s actors run. Chosen per job with {@link
 * ExecutionOptions.Builder#runtime(RuntimeKind)}; see docs/benchmarks.md for how they compare.
 */
public enum RuntimeKind {
    /** Threads of the driver JVM: one weight copy by construction, no serialization of batches. */
    THREADS,
    /**
     * Worker JVMs on this machine, batches as Arrow IPC over pipes, each mapping the same weight
     * store: isolation (a crash kills one actor, which is replaced) at the cost of copying batches.
     */
    PROCESSES,
    /** Ray Java actors: a real cluster with {@code -Dray.address}, otherwise Ray's LOCAL mode. */
    RAY
}
