package io.rayzerocopy.ray;

import io.ray.api.exception.RayActorException;
import io.ray.api.exception.RayTaskException;
import io.rayzerocopy.data.ArrowIpc;
import io.rayzerocopy.exec.ActorDiedException;
import io.rayzerocopy.exec.ActorHandle;
import io.rayzerocopy.exec.ActorRuntime;
import io.rayzerocopy.exec.ActorSpec;
import io.rayzerocopy.exec.BatchProcessor;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Actors as Ray Java actors: each hosts one {@link ActorSpec}, batches travel as Arrow IPC bytes.
 * With {@code -Dray.address} it joins that cluster (each node maps its own weight store); without,
 * it runs Ray's LOCAL mode in this JVM, where {@link RayFnActor} serializes calls across actors to
 * avoid LOCAL mode's wrong-actor race, so LOCAL mode is for testing, not for speed.
 */
public final class RayRuntime implements ActorRuntime {
    private final List<RayActor> actors = new ArrayList<>();
    private final boolean startedRay;

    /** Starts Ray (or joins the running instance). */
    public RayRuntime() {
        this.startedRay = RayCluster.start();
    }

    @Override
    public synchronized ActorHandle start(ActorSpec spec, String actorName) {
        RayActor actor = new RayActor(Objects.requireNonNull(spec, "spec"), actorName);
        synchronized (actors) {
            actors.add(actor);
        }
        return actor;
    }

    @Override
    public void close() {
        ActorRuntime.stopAll(actors, 60);
        if (startedRay) {
            RayCluster.shutdown();
        }
    }

    /** Builds the actor when Ray deserializes it inside the actor; applies it to IPC batches. */
    static final class SpecFn implements RemoteFn {
        private static final long serialVersionUID = 1L;
        private final ActorSpec spec;
        private transient BatchProcessor processor;
        private transient BufferAllocator allocator;

        SpecFn(ActorSpec spec) {
            this.spec = spec;
        }

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            try {
                processor = spec.create();
            } catch (Exception e) {
                InvalidObjectException failure =
                        new InvalidObjectException(
                                "actor " + spec.name() + " failed to construct: " + e);
                failure.initCause(e);
                throw failure;
            }
            allocator = new RootAllocator();
        }

        @Override
        public byte[] apply(byte[] input) throws Exception {
            try (VectorSchemaRoot in = ArrowIpc.read(input, allocator);
                    VectorSchemaRoot out = processor.process(in, allocator)) {
                if (out == null) {
                    throw new IllegalStateException(
                            spec.name() + " returned null instead of a batch");
                }
                return ArrowIpc.write(out);
            }
        }

        @Override
        public void close() throws Exception {
            try {
                processor.close();
            } finally {
                allocator.close();
            }
        }
    }

    private static final class RayActor implements ActorHandle {
        private final String name;
        private final ExecutorService thread;
        private final CompletableFuture<RayFnActor> actor;
        private CompletableFuture<Void> stopped;

        RayActor(ActorSpec spec, String name) {
            this.name = name;
            this.thread =
                    Executors.newSingleThreadExecutor(
                            r -> {
                                Thread t = new Thread(r, "rzc-ray-" + name);
                                t.setDaemon(true);
                                return t;
                            });
            this.actor =
                    CompletableFuture.supplyAsync(() -> RayFnActor.start(new SpecFn(spec)), thread);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public CompletableFuture<Void> ready() {
            return actor.thenApply(a -> null);
        }

        @Override
        public CompletableFuture<VectorSchemaRoot> submit(
                VectorSchemaRoot input, BufferAllocator resultAllocator) {
            byte[] ipc;
            try {
                ipc = ArrowIpc.write(input);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            return actor.thenApplyAsync(
                    a -> {
                        try {
                            return ArrowIpc.read(a.call(ipc), resultAllocator);
                        } catch (RayActorException e) {
                            throw new ActorDiedException(
                                    "Ray actor " + name + " died: " + e.getMessage());
                        } catch (RayTaskException e) {
                            throw new CompletionException(e.getCause() != null ? e.getCause() : e);
                        } catch (IOException e) {
                            throw new CompletionException(e);
                        }
                    },
                    thread);
        }

        @Override
        public synchronized CompletableFuture<Void> stop() {
            if (stopped == null) {
                stopped =
                        actor.handleAsync(
                                        (a, e) -> {
                                            if (a != null) {
                                                a.close();
                                            }
                                            return (Void) null;
                                        },
                                        thread)
                                .whenComplete((v, e) -> thread.shutdown());
            }
            return stopped;
        }
    }
}
