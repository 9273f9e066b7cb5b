package io.rayzerocopy.spark.internal;

import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.spark.SparkRuntime;
import io.rayzerocopy.spi.ActorHandle;
import io.rayzerocopy.spi.ActorRuntime;
import io.rayzerocopy.spi.ActorSpec;
import io.rayzerocopy.spi.ArrowBatches;
import io.rayzerocopy.spi.RuntimeSettings;
import io.rayzerocopy.spi.Runtimes;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.SparkContext;
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
 * The actors of all tasks together never exceed the executor's bound ({@link ActorBounds}): idle
 * actors are closed to make room, and past that a start fails the task, naming the bound.
 */
public final class ExecutorActors {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorActors.class);
    private static final Object LOCK = new Object();
    private static final Map<String, Deque<Idle>> IDLE = new HashMap<>();
    private static final List<Actor> ALL = new ArrayList<>();
    private static BufferAllocator allocator;
    private static ScheduledExecutorService sweeper;
    private static int started;
    private static int starting;

    private ExecutorActors() {}

    /** One actor on a thread of its own, with the runtime that owns it. */
    private record Actor(ActorRuntime runtime, ActorHandle handle) {}

    /** An actor waiting for the next task, since {@code since} (nanoTime). */
    private record Idle(Actor actor, long since, long timeoutNanos) {}

    /**
     * The runtime of one map stage of a task: borrows actors, gives them back when closed; starts
     * none past {@code maxActors} in this JVM.
     */
    static ActorRuntime runtime(Duration idleTimeout, int maxActors) {
        return new TaskActors(idleTimeout, maxActors);
    }

    /**
     * Refuses, on the driver, pools of {@code actors} per task that would make an executor of
     * {@code sc} run more actors than its bound.
     *
     * @throws IllegalArgumentException naming the count, the bound and the setting that raises it
     */
    public static void checkPool(SparkContext sc, int actors) {
        Map<String, String> conf = new HashMap<>();
        for (scala.Tuple2<String, String> kv : sc.getConf().getAll()) {
            conf.put(kv._1(), kv._2());
        }
        ActorBounds.of(conf, sc.master(), Runtime.getRuntime().availableProcessors())
                .check(actors);
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

    private static Actor start(ActorSpec spec, String name, int maxActors) {
        ActorRuntime runtime;
        List<Actor> evicted = new ArrayList<>();
        synchronized (LOCK) {
            makeRoom(maxActors, evicted);
            if (allocator == null) {
                allocator = ArrowBatches.allocator("spark-executor-actors");
            }
            runtime =
                    Runtimes.find(RuntimeNames.THREADS)
                            .create(RuntimeSettings.of(RuntimeNames.THREADS), allocator);
            started++;
            starting++;
        }
        evicted.forEach(actor -> actor.runtime().close());
        try {
            Actor actor = new Actor(runtime, runtime.start(spec, name));
            synchronized (LOCK) {
                ALL.add(actor);
            }
            return actor;
        } finally {
            synchronized (LOCK) {
                starting--;
            }
        }
    }

    /**
     * Takes idle actors out (into {@code evicted}, for the caller to close) until one more fits
     * under {@code maxActors}; fails if the busy ones alone fill it. Holds the lock.
     */
    private static void makeRoom(int maxActors, List<Actor> evicted) {
        int idleCount = IDLE.values().stream().mapToInt(Deque::size).sum();
        int busy = ALL.size() + starting - idleCount;
        if (busy >= maxActors) {
            throw new IllegalStateException(
                    "this executor already runs "
                            + busy
                            + " busy actors, the most it may ("
                            + SparkRuntime.MAX_ACTORS_PER_EXECUTOR
                            + "="
                            + maxActors
                            + "); give each task fewer actors, run fewer tasks per executor, or"
                            + " raise "
                            + SparkRuntime.MAX_ACTORS_PER_EXECUTOR);
        }
        for (Deque<Idle> idle : IDLE.values()) {
            while (ALL.size() + starting >= maxActors && !idle.isEmpty()) {
                Actor actor = idle.pollLast().actor();
                ALL.remove(actor);
                evicted.add(actor);
            }
        }
        IDLE.values().removeIf(Deque::isEmpty);
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
        private final int maxActors;
        private final List<Borrowed> borrowed = new ArrayList<>();

        TaskActors(Duration idleTimeout, int maxActors) {
            this.idleTimeout = idleTimeout;
            this.maxActors = maxActors;
        }

        @Override
        public ActorHandle start(ActorSpec spec, String actorName) {
            String key = key(spec);
            Actor actor = borrow(key);
            if (actor == null) {
                actor = ExecutorActors.start(spec, actorName, maxActors);
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
