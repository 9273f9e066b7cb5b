package io.rayzerocopy.internal.spark;

import io.rayzerocopy.internal.data.Allocators;
import io.rayzerocopy.internal.exec.ActorHandle;
import io.rayzerocopy.internal.exec.ActorRuntime;
import io.rayzerocopy.internal.exec.ActorSpec;
import io.rayzerocopy.internal.exec.ThreadRuntime;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The actors of an executor JVM: threads that outlive the task that started them. A task's pool
 * borrows an idle actor built from an equal spec (same function, arguments and model) before it
 * starts a new one, and gives its actors back when it ends; so an executor constructs an actor (and
 * loads its model, mapped from the machine's store) once for all the tasks it runs, not once per
 * task. An actor idle longer than its timeout is closed, and {@link #closeAll()} closes every actor
 * when the executor stops ({@code RzcSparkPlugin}), releasing the executor's lease on the store.
 */
public final class ExecutorActors {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorActors.class);
    private static final Object LOCK = new Object();
    private static final Map<String, Deque<Idle>> IDLE = new HashMap<>();
    private static final List<Actor> ALL = new ArrayList<>();
    private static BufferAllocator allocator;
    private static ScheduledExecutorService sweeper;
    private static int started;

    private ExecutorActors() {}

    /** One actor on a thread of its own, with the runtime that owns it. */
    private record Actor(ThreadRuntime runtime, ActorHandle handle) {}

    /** An actor waiting for the next task, since {@code since} (nanoTime). */
    private record Idle(Actor actor, long since, long timeoutNanos) {}

    /** The runtime of one map stage of a task: borrows actors, gives them back when closed. */
    static ActorRuntime runtime(Duration idleTimeout) {
        return new TaskActors(idleTimeout);
    }

    /** Actors of this JVM not closed yet, idle or busy. */
    public static int live() {
        synchronized (LOCK) {
            return ALL.size();
        }
    }

    /** Actors constructed in this JVM since it started. */
    public static int constructed() {
        synchronized (LOCK) {
            return started;
        }
    }

    /**
     * Closes every actor of this JVM, idle or not, and the models they loaded; returns how many.
     * For the executor's shutdown.
     */
    public static int closeAll() {
        List<Actor> all;
        synchronized (LOCK) {
            all = new ArrayList<>(ALL);
            ALL.clear();
            IDLE.clear();
            if (sweeper != null) {
                sweeper.shutdownNow();
                sweeper = null;
            }
        }
        for (Actor actor : all) {
            actor.runtime().close();
        }
        return all.size();
    }

    private static Actor borrow(String key) {
        synchronized (LOCK) {
            Deque<Idle> idle = IDLE.get(key);
            Idle next = idle == null ? null : idle.pollFirst();
            return next == null ? null : next.actor();
        }
    }

    private static Actor start(ActorSpec spec, String name) {
        ThreadRuntime runtime;
        synchronized (LOCK) {
            if (allocator == null) {
                allocator = Allocators.child("spark-executor-actors");
            }
            runtime = new ThreadRuntime(allocator);
            started++;
        }
        Actor actor = new Actor(runtime, runtime.start(spec, name));
        synchronized (LOCK) {
            ALL.add(actor);
        }
        return actor;
    }

    private static void giveBack(String key, Actor actor, Duration idleTimeout) {
        synchronized (LOCK) {
            if (!ALL.contains(actor)) {
                return;
            }
            IDLE.computeIfAbsent(key, k -> new ArrayDeque<>())
                    .addFirst(new Idle(actor, System.nanoTime(), idleTimeout.toNanos()));
            if (sweeper == null) {
                sweeper =
                        Executors.newSingleThreadScheduledExecutor(
                                r -> {
                                    Thread t = new Thread(r, "rzc-idle-actors");
                                    t.setDaemon(true);
                                    return t;
                                });
                sweeper.scheduleWithFixedDelay(ExecutorActors::closeIdle, 1, 1, TimeUnit.SECONDS);
            }
        }
    }

    private static void close(Actor actor) {
        synchronized (LOCK) {
            ALL.remove(actor);
        }
        actor.runtime().close();
    }

    /** Closes the actors idle for longer than their timeout. */
    private static void closeIdle() {
        List<Actor> expired = new ArrayList<>();
        long now = System.nanoTime();
        synchronized (LOCK) {
            for (Deque<Idle> idle : IDLE.values()) {
                for (Iterator<Idle> it = idle.iterator(); it.hasNext(); ) {
                    Idle entry = it.next();
                    if (now - entry.since() >= entry.timeoutNanos()) {
                        it.remove();
                        expired.add(entry.actor());
                    }
                }
            }
            IDLE.values().removeIf(Deque::isEmpty);
        }
        for (Actor actor : expired) {
            LOG.debug("closing actor {}: idle", actor.handle().name());
            close(actor);
        }
    }

    /**
     * Specs are equal when they serialize to the same bytes: every task deserializes its own copy
     * of the same spec from the job's closure.
     */
    private static String key(ActorSpec spec) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(spec);
            }
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(
                    "cannot identify actor " + spec.name() + " for reuse: " + e, e);
        }
    }

    private static final class TaskActors implements ActorRuntime {
        private final Duration idleTimeout;
        private final List<Borrowed> borrowed = new ArrayList<>();

        TaskActors(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
        }

        @Override
        public ActorHandle start(ActorSpec spec, String actorName) {
            String key = key(spec);
            Actor actor = borrow(key);
            if (actor == null) {
                actor = ExecutorActors.start(spec, actorName);
            }
            Borrowed handle = new Borrowed(key, actor, idleTimeout);
            synchronized (borrowed) {
                borrowed.add(handle);
            }
            return handle;
        }

        @Override
        public void close() {
            ActorRuntime.stopAll(borrowed, 60);
        }
    }

    /** A task's use of an actor: stopping it gives the actor back once its calls are done. */
    private static final class Borrowed implements ActorHandle {
        private final String key;
        private final Actor actor;
        private final Duration idleTimeout;
        private CompletableFuture<?> last = CompletableFuture.completedFuture(null);
        private CompletableFuture<Void> stopped;

        Borrowed(String key, Actor actor, Duration idleTimeout) {
            this.key = key;
            this.actor = actor;
            this.idleTimeout = idleTimeout;
        }

        @Override
        public String name() {
            return actor.handle().name();
        }

        @Override
        public CompletableFuture<Void> ready() {
            return actor.handle().ready();
        }

        @Override
        public synchronized CompletableFuture<VectorSchemaRoot> submit(
                VectorSchemaRoot input, BufferAllocator resultAllocator) {
            CompletableFuture<VectorSchemaRoot> result =
                    actor.handle().submit(input, resultAllocator);
            last = result;
            return result;
        }

        @Override
        public synchronized CompletableFuture<Void> stop() {
            if (stopped == null) {
                stopped =
                        last.handle((r, e) -> null)
                                .thenCompose(done -> ready().handle((r, e) -> e == null))
                                .thenAccept(
                                        constructed -> {
                                            if (constructed) {
                                                giveBack(key, actor, idleTimeout);
                                            } else {
                                                close(actor);
                                            }
                                        });
            }
            return stopped;
        }
    }
}
