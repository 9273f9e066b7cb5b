package io.rayzerocopy.ray.internal;

import io.ray.api.exception.RayActorException;
import io.ray.api.exception.RayTaskException;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.ray.RayCluster;
import io.rayzerocopy.spi.ActorDiedException;
import io.rayzerocopy.spi.ActorHandle;
import io.rayzerocopy.spi.ActorRuntime;
import io.rayzerocopy.spi.ActorSpec;
import io.rayzerocopy.spi.ArrowBatches;
import io.rayzerocopy.spi.BatchProcessor;
import io.rayzerocopy.spi.RuntimeProvider;
import io.rayzerocopy.spi.RuntimeSettings;
import io.rayzerocopy.spi.StoreShipping;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Actors as Ray Java actors: each hosts one {@link ActorSpec}, batches travel as Arrow IPC bytes.
 * With {@code -Dray.address} it joins that cluster; without, it runs Ray's LOCAL mode in this JVM,
 * where {@link RayFnActor} serializes calls across actors to avoid LOCAL mode's wrong-actor race,
 * so LOCAL mode is for testing, not for speed. Each actor asks Ray for the CPUs the pool strategy
 * gives it. The weight store of every wrapper an actor's spec holds is published as Ray objects
 * when the spec is shipped (on a cluster, or in LOCAL mode with the runtime option {@value
 * #PUBLISH_STORES}{@code =true}), so a node without the store materializes it once.
 */
public final class RayRuntime implements ActorRuntime {
    /** Runtime option: publish stores as Ray objects even in LOCAL mode (to test that path). */
    public static final String PUBLISH_STORES = "ray.publishStores";

    /** The {@code ray} runtime. */
    public static final class Provider implements RuntimeProvider {
        @Override
        public String name() {
            return RuntimeNames.RAY;
        }

        @Override
        public ActorRuntime create(RuntimeSettings settings, BufferAllocator allocator) {
            return new RayRuntime(settings);
        }
    }

    private final List<RayActor> actors = new ArrayList<>();
    private final boolean startedRay;
    private final double cpusPerActor;
    private final StoreShipping shipment;

    private RayRuntime(RuntimeSettings settings) {
        this.startedRay = RayCluster.start();
        this.cpusPerActor = settings.cpusPerActor();
        boolean publish =
                !RayCluster.isLocalMode()
                        || Boolean.parseBoolean(settings.option(PUBLISH_STORES, "false"));
        this.shipment =
                publish
                        ? StoreShipping.publishingWith(RayStoreSource::publish)
                        : StoreShipping.none();
    }

    @Override
    public synchronized ActorHandle start(ActorSpec spec, String actorName) {
        byte[] fn;
        try {
            fn = shipment.serialize(new SpecFn(spec));
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "actor "
                            + spec.name()
                            + " cannot be sent to a Ray actor (is everything it holds"
                            + " Serializable?): "
                            + e,
                    e);
        }
        RayActor actor = new RayActor(fn, actorName, cpusPerActor);
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
            allocator = ArrowBatches.allocator("ray-actor-" + spec.name());
        }

        @Override
        public byte[] apply(byte[] input) throws Exception {
            try (VectorSchemaRoot in = ArrowBatches.fromIpc(input, allocator);
                    VectorSchemaRoot out = processor.process(in, allocator)) {
                if (out == null) {
                    throw new IllegalStateException(
                            spec.name() + " returned null instead of a batch");
                }
                return ArrowBatches.toIpc(out);
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

        RayActor(byte[] fn, String name, double cpus) {
            this.name = name;
            this.thread =
                    Executors.newSingleThreadExecutor(
                            r -> {
                                Thread t = new Thread(r, "rzc-ray-" + name);
                                t.setDaemon(true);
                                return t;
                            });
            this.actor =
                    CompletableFuture.supplyAsync(() -> RayFnActor.start(fn, name, cpus), thread);
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
                ipc = ArrowBatches.toIpc(input);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            return actor.thenApplyAsync(
                    a -> {
                        try {
                            return ArrowBatches.fromIpc(a.call(ipc), resultAllocator);
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
