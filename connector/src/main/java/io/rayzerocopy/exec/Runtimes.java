package io.rayzerocopy.exec;

import io.rayzerocopy.RuntimeKind;
import io.rayzerocopy.ray.RayRuntime;

import org.apache.arrow.memory.BufferAllocator;

import java.util.function.Function;

/** The {@link ActorRuntime} for each {@link RuntimeKind}. */
public final class Runtimes {
    private Runtimes() {}

    /**
     * A factory of runtimes of {@code kind}; {@code threadsPerActor} sets the torch threads of each
     * worker process (threads of one JVM share the process-wide setting).
     */
    public static Function<BufferAllocator, ActorRuntime> factory(
            RuntimeKind kind, int threadsPerActor) {
        switch (kind) {
            case PROCESSES:
                return allocator -> new ProcessRuntime(threadsPerActor, 512, 120_000);
            case RAY:
                return allocator -> new RayRuntime();
            default:
                return ThreadRuntime::new;
        }
    }
}
