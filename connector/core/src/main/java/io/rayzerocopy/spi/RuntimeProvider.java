package io.rayzerocopy.spi;

import org.apache.arrow.memory.BufferAllocator;

/**
 * The runtime SPI: a named place where actors run. Implementations are found with {@link
 * java.util.ServiceLoader} by the name users pass to {@code ExecutionOptions.runtime(name)}, the
 * way {@code Ray.init()} finds its runtime: core provides {@code threads} and {@code processes};
 * the {@code ray} and {@code spark} modules add theirs when they are on the classpath. List an
 * implementation in {@code META-INF/services/io.rayzerocopy.spi.RuntimeProvider}; a provider that
 * also implements {@link JobRuntime} is handed whole jobs. See docs/engines.md.
 */
@Stable
public interface RuntimeProvider {

    /** The name users choose it by, e.g. {@code "threads"}. */
    String name();

    /**
     * The runtime of one map stage of a pipeline running in this JVM. Actors allocate from children
     * of {@code allocator}.
     */
    ActorRuntime create(RuntimeSettings settings, BufferAllocator allocator);

    /**
     * Called when a job that will start {@code actors} actors begins, before the driver checks its
     * input, so a runtime whose actors are slow to start (worker JVMs) can start them now. Returns
     * what undoes it if the job ends before its actors start. By default nothing.
     */
    default Runnable prepare(RuntimeSettings settings, int actors) {
        return () -> {};
    }

    /**
     * Refuses, before any work starts (no model loaded, no session started), a job this runtime
     * cannot run as asked: settings it cannot use, or pools of {@code actors} actors per task or
     * split past its bounds (threads, processes). By default everything is accepted.
     *
     * @throws IllegalArgumentException naming the setting or count, and what to change
     */
    default void checkJob(RuntimeSettings settings, int actors) {}
}
