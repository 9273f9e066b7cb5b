package io.rayzerocopy.ray.internal;

import io.ray.api.ActorHandle;
import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import io.ray.api.call.ActorCreator;
import io.rayzerocopy.ray.RayCluster;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The driver's handle on one {@link RayActorHost}: starts it, calls it, closes it. Thread-safe.
 *
 * <p>In LOCAL mode Ray 2.39.0 may run a call on the wrong actor instance when calls to different
 * actors overlap (ray-project/ray#61827: actors share one executor whose current-actor field is not
 * per thread). So in LOCAL mode every operation of every {@code RayFnActor} in this JVM, actor
 * creation included, runs alone: one in flight at a time, in arrival order. On a cluster, actors
 * are separate processes and calls run concurrently.
 *
 * <p>Failures arrive as Ray's exceptions: {@code io.ray.api.exception.RayTaskException} when the
 * function threw (the actor lives on), {@code io.ray.api.exception.RayActorException} when the
 * actor died (replace it).
 */
public final class RayFnActor implements AutoCloseable {
    private static final ReentrantLock LOCAL_MODE_GATE = new ReentrantLock(true);

    private final ActorHandle<RayActorHost> handle;
    private final boolean localMode;
    private boolean closed;

    private RayFnActor(ActorHandle<RayActorHost> handle, boolean localMode) {
        this.handle = handle;
        this.localMode = localMode;
    }

    /**
     * Creates an actor hosting {@code fn} (with one CPU) and builds the function there; returns
     * once it is built. See {@link #start(byte[], String, double)}.
     */
    public static RayFnActor start(RemoteFn fn) {
        return start(serialize(fn), fn.getClass().getName(), 1);
    }

    /**
     * Creates an actor hosting the Java-serialized {@link RemoteFn} {@code fn}, asking Ray for
     * {@code cpus} CPUs, and builds the function there; returns once it is built. Ray must be
     * started ({@link RayCluster#start()}). Throws {@link IllegalStateException} with the actor's
     * error if the function cannot be built there; the actor is then closed.
     */
    public static RayFnActor start(byte[] fn, String name, double cpus) {
        if (!Ray.isInitialized()) {
            throw new IllegalStateException(
                    "Ray is not started; call RayCluster.start() before RayFnActor.start()");
        }
        boolean local = RayCluster.isLocalMode();
        return gated(
                local,
                () -> {
                    RayFnActor actor = new RayFnActor(creator(fn, cpus).remote(), local);
                    try {
                        actor.handle.task(RayActorHost::init).remote().get();
                    } catch (RuntimeException e) {
                        actor.release();
                        throw new IllegalStateException(
                                "starting a Ray actor for " + name + " failed: " + rootMessage(e),
                                e);
                    }
                    return actor;
                });
    }

    /** How an actor hosting {@code fn} is created: it reserves {@code cpus} CPUs on its node. */
    static ActorCreator<RayActorHost> creator(byte[] fn, double cpus) {
        return Ray.actor(RayActorHost::new, fn).setResource("CPU", cpus);
    }

    /** Applies the actor's function to {@code input} and returns its output. */
    public byte[] call(byte[] input) {
        return gated(localMode, () -> handle.task(RayActorHost::call, input).remote().get());
    }

    /** The id of the actor's process (this JVM's in LOCAL mode). */
    public long pid() {
        return gated(localMode, () -> handle.task(RayActorHost::pid).remote().get());
    }

    /** PSS of the actor's process in KiB; -1 where /proc/self/smaps_rollup is unavailable. */
    public long pssKb() {
        return gated(localMode, () -> handle.task(RayActorHost::pssKb).remote().get());
    }

    /** Closes the function in the actor and, on a cluster, ends the actor's process. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        gated(
                localMode,
                () -> {
                    ObjectRef<Boolean> done = handle.task(RayActorHost::close).remote();
                    try {
                        return done.get();
                    } finally {
                        release();
                    }
                });
    }

    private void release() {
        if (!localMode) {
            handle.kill();
        }
    }

    private static <T> T gated(boolean localMode, Supplier<T> op) {
        if (!localMode) {
            return op.get();
        }
        LOCAL_MODE_GATE.lock();
        try {
            return op.get();
        } finally {
            LOCAL_MODE_GATE.unlock();
        }
    }

    private static byte[] serialize(RemoteFn fn) {
        if (fn == null) {
            throw new IllegalArgumentException(
                    "fn is null; pass the RemoteFn the actor should host");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(fn);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "serializing "
                            + fn.getClass().getName()
                            + " failed: "
                            + e
                            + "; every field of a RemoteFn must be Serializable or transient",
                    e);
        }
        return bytes.toByteArray();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.toString();
    }
}
