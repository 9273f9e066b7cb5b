package io.rayzerocopy.internal.exec;

import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.spi.ActorHandle;
import io.rayzerocopy.spi.ActorRuntime;
import io.rayzerocopy.spi.ActorSpec;
import io.rayzerocopy.spi.ArrowBatches;
import io.rayzerocopy.spi.BatchProcessor;
import io.rayzerocopy.spi.RuntimeProvider;
import io.rayzerocopy.spi.RuntimeSettings;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Actors on threads of this JVM: each actor has one thread, which constructs it and then runs its
 * calls one by one, and a child allocator, closed (leak-checked) when the actor stops. Every actor
 * shares the process's memory, so a model mapped once is mapped once for all of them. Written
 * against the public SPI only: the worked example of docs/engines.md.
 */
public final class ThreadRuntime implements ActorRuntime {
    /** The {@code threads} runtime. */
    public static final class Provider implements RuntimeProvider {
        @Override
        public String name() {
            return RuntimeNames.THREADS;
        }

        @Override
        public ActorRuntime create(RuntimeSettings settings, BufferAllocator allocator) {
            return new ThreadRuntime(allocator);
        }
    }

    private final BufferAllocator allocator;
    private final List<ThreadActor> actors = new ArrayList<>();

    /** Actors allocate from children of {@code allocator}. */
    public ThreadRuntime(BufferAllocator allocator) {
        this.allocator = Objects.requireNonNull(allocator, "allocator");
    }

    @Override
    public synchronized ActorHandle start(ActorSpec spec, String actorName) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(actorName, "actorName");
        ThreadActor actor =
                new ThreadActor(
                        spec, actorName, allocator.newChildAllocator(actorName, 0, Long.MAX_VALUE));
        synchronized (actors) {
            actors.add(actor);
        }
        return actor;
    }

    @Override
    public void close() {
        ActorRuntime.stopAll(actors, 60);
    }

    private static final class ThreadActor implements ActorHandle {
        private final ActorSpec spec;
        private final String name;
        private final BufferAllocator allocator;
        private final ExecutorService thread;
        private final CompletableFuture<BatchProcessor> processor;
        private CompletableFuture<Void> stopped;

        ThreadActor(ActorSpec spec, String name, BufferAllocator allocator) {
            this.spec = spec;
            this.name = name;
            this.allocator = allocator;
            this.thread =
                    Executors.newSingleThreadExecutor(
                            task -> {
                                Thread t = new Thread(task, name);
                                t.setDaemon(true);
                                return t;
                            });
            this.processor =
                    CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return spec.create();
                                } catch (Exception e) {
                                    throw new CompletionException(e);
                                }
                            },
                            thread);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public CompletableFuture<Void> ready() {
            return processor.thenApply(p -> null);
        }

        @Override
        public CompletableFuture<VectorSchemaRoot> submit(
                VectorSchemaRoot input, BufferAllocator resultAllocator) {
            return CompletableFuture.supplyAsync(
                    () -> {
                        VectorSchemaRoot output;
                        try {
                            output = processor.join().process(input, allocator);
                        } catch (Exception e) {
                            throw new CompletionException(e);
                        }
                        if (output == null) {
                            throw new IllegalStateException(
                                    spec.name() + " returned null instead of a batch");
                        }
                        try (VectorSchemaRoot owned = output) {
                            return ArrowBatches.transfer(owned, resultAllocator);
                        }
                    },
                    thread);
        }

        @Override
        public synchronized CompletableFuture<Void> stop() {
            if (stopped != null) {
                return stopped;
            }
            stopped = new CompletableFuture<>();
            thread.execute(
                    () -> {
                        Throwable failure = null;
                        BatchProcessor constructed =
                                processor.isCompletedExceptionally() ? null : processor.join();
                        if (constructed != null) {
                            try {
                                constructed.close();
                            } catch (Throwable t) {
                                failure =
                                        new IllegalStateException(
                                                "closing actor " + name + " failed: " + t, t);
                            }
                        }
                        try {
                            allocator.close();
                        } catch (IllegalStateException leak) {
                            IllegalStateException e =
                                    new IllegalStateException(
                                            "actor "
                                                    + name
                                                    + " ("
                                                    + spec.name()
                                                    + ") leaked Arrow memory; close every vector it"
                                                    + " does not return: "
                                                    + leak.getMessage(),
                                            leak);
                            if (failure == null) {
                                failure = e;
                            } else {
                                failure.addSuppressed(e);
                            }
                        }
                        thread.shutdown();
                        if (failure == null) {
                            stopped.complete(null);
                        } else {
                            stopped.completeExceptionally(failure);
                        }
                    });
            return stopped;
        }
    }
}
