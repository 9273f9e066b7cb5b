package io.rayzerocopy.internal.exec;

import io.rayzerocopy.internal.exec.WorkerLauncher.Spawned;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Worker JVMs started ahead of their actors, by their JVM options (workers are interchangeable
 * only with the same options): a job's first workers boot while the driver checks its input, and
 * its actors claim them. One pool per driver JVM; a spare no actor claims is ended.
 */
final class WorkerSpares {
    private WorkerSpares() {}

    /** Workers started ahead ({@link ProcessRuntime.Provider#prepare}), by their JVM options. */
    private static final Map<List<String>, Deque<Spawned>> SPARES = new HashMap<>();

    /** How long a worker started ahead waits for an actor before it is ended. */
    private static final long SPARE_SECONDS = 60;

    /** Starts workers until {@code count} with these options are waiting for an actor. */
    static void prestart(List<String> jvmArgs, int count) {
        int missing;
        synchronized (SPARES) {
            Deque<Spawned> spares = SPARES.computeIfAbsent(jvmArgs, k -> new ArrayDeque<>());
            spares.removeIf(w -> !w.process.isAlive());
            missing = count - spares.size();
        }
        // Started outside the lock: the first start may compile and boot the fork server, and
        // jobs taking or ending spares must not wait for that.
        for (int i = 0; i < missing; i++) {
            Spawned w = WorkerLauncher.start(jvmArgs);
            synchronized (SPARES) {
                SPARES.computeIfAbsent(jvmArgs, k -> new ArrayDeque<>()).addLast(w);
            }
            CompletableFuture.delayedExecutor(SPARE_SECONDS, TimeUnit.SECONDS)
                    .execute(
                            () -> {
                                boolean unclaimed;
                                synchronized (SPARES) {
                                    Deque<Spawned> spares = SPARES.get(jvmArgs);
                                    unclaimed = spares != null && spares.remove(w);
                                }
                                if (unclaimed) {
                                    w.kill();
                                }
                            });
        }
    }

    /** A live worker started ahead with these options, or {@code null}. */
    static Spawned take(List<String> jvmArgs) {
        synchronized (SPARES) {
            Deque<Spawned> spares = SPARES.getOrDefault(jvmArgs, new ArrayDeque<>());
            for (Spawned w = spares.pollFirst(); w != null; w = spares.pollFirst()) {
                if (w.process.isAlive()) {
                    return w;
                }
            }
            return null;
        }
    }

    /** Ends the workers started ahead with these options that no actor claimed. */
    static void discard(List<String> jvmArgs) {
        List<Spawned> unused;
        synchronized (SPARES) {
            Deque<Spawned> spares = SPARES.remove(jvmArgs);
            unused = spares == null ? List.of() : List.copyOf(spares);
        }
        unused.forEach(Spawned::kill);
    }
}
