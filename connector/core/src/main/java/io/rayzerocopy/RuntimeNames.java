package io.rayzerocopy;

/**
 * The names of the runtimes we ship, for {@link ExecutionOptions.Builder#runtime(String)}. {@link
 * #THREADS} and {@link #PROCESSES} are in core; {@link #RAY} and {@link #SPARK} need their modules
 * on the classpath. A runtime of your own has the name its {@code RuntimeProvider} gives.
 */
public final class RuntimeNames {
    /** Actors on threads of this JVM: the default, and the fastest on one machine. */
    public static final String THREADS = "threads";

    /** Actors in worker JVMs of this machine, batches through shared memory. */
    public static final String PROCESSES = "processes";

    /** Actors as Ray Java actors ({@code ray-zerocopy-ray}). */
    public static final String RAY = "ray";

    /** Whole jobs as Spark jobs, actors in the executors ({@code ray-zerocopy-spark}). */
    public static final String SPARK = "spark";

    private RuntimeNames() {}
}
