package io.rayzerocopy.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * CPU time of this process's threads while a body runs, by thread name, as Linux accounts it
 * ({@code /proc/self/task/<tid>/stat}: user + system, in clock ticks of 10 ms): also the threads
 * the JVM keeps to itself (JIT compilers, GC) and threads that end before the body does (read every
 * 50 ms, so a thread ending between two reads loses at most 50 ms of its time). Digits in names are
 * folded ({@code map1(X)-actor-0} and {@code -actor-1} count as one), so each entry is a role.
 */
final class ThreadCpu {
    private static final Path TASKS = Paths.get("/proc/self/task");
    private static final double SECONDS_PER_TICK = 0.01;

    private ThreadCpu() {}

    /** Runs {@code body}; returns CPU-seconds by thread role. */
    static Map<String, Double> measure(Runnable body) {
        Map<String, Long> before = read();
        Map<String, Long> latest = new HashMap<>(before);
        ScheduledExecutorService sampler =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "cpu-sampler");
                            t.setDaemon(true);
                            return t;
                        });
        sampler.scheduleAtFixedRate(
                () -> {
                    Map<String, Long> now = read();
                    synchronized (latest) {
                        now.forEach((k, v) -> latest.merge(k, v, Math::max));
                    }
                },
                50,
                50,
                TimeUnit.MILLISECONDS);
        try {
            body.run();
        } finally {
            sampler.shutdownNow();
        }
        Map<String, Double> roles = new TreeMap<>();
        synchronized (latest) {
            read().forEach((k, v) -> latest.merge(k, v, Math::max));
            latest.forEach(
                    (key, ticks) -> {
                        long used = ticks - before.getOrDefault(key, 0L);
                        String role = key.substring(key.indexOf(' ') + 1).replaceAll("[0-9]+", "#");
                        if (used > 0 && !role.equals("cpu-sampler")) {
                            roles.merge(role, used * SECONDS_PER_TICK, Double::sum);
                        }
                    });
        }
        return roles;
    }

    /** CPU-seconds of the roles whose names start with {@code prefix}. */
    static double of(Map<String, Double> roles, String prefix) {
        return roles.entrySet().stream()
                .filter(e -> e.getKey().startsWith(prefix))
                .mapToDouble(Map.Entry::getValue)
                .sum();
    }

    /** Ticks used so far by each thread, keyed {@code "<tid> <name>"}. */
    private static Map<String, Long> read() {
        Map<String, Long> ticks = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    int open = stat.indexOf('(');
                    int close = stat.lastIndexOf(')');
                    String[] fields = stat.substring(close + 2).split(" ");
                    ticks.put(
                            task.getFileName() + " " + stat.substring(open + 1, close),
                            Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
                } catch (IOException | RuntimeException ended) {
                    // The thread ended since the directory was listed: its last read stands.
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + TASKS + ": " + e, e);
        }
        return ticks;
    }
}
