package io.rayzerocopy.spark.internal;

import io.rayzerocopy.spark.SparkRuntime;
import io.rayzerocopy.spi.RuntimeSettings;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The spark runtime's settings, read from a dataset's runtime options: the master, how to cut
 * splits, what to wait for, whether to publish stores, and the Spark configuration of a session the
 * job starts. Every bad value is rejected here, naming the option, before anything starts.
 */
record SparkOptions(
        String master,
        long rowsPerSplit,
        OptionalInt minExecutors,
        Duration executorTimeout,
        Publish publish,
        Duration actorIdleTimeout,
        Map<String, String> sparkConf,
        List<String> workerJvmOptions) {

    /**
     * Whether an executor that lacks a store may fetch it from the driver: {@code AUTO} and {@code
     * ALWAYS} (the same since the executor decides), or {@code NEVER} (shared store mounts).
     */
    enum Publish {
        AUTO,
        ALWAYS,
        NEVER
    }

    private static final List<String> OURS =
            List.of(
                    SparkRuntime.ROWS_PER_SPLIT,
                    SparkRuntime.MIN_EXECUTORS,
                    SparkRuntime.EXECUTOR_TIMEOUT_SECONDS,
                    SparkRuntime.PUBLISH_STORES,
                    SparkRuntime.ACTOR_IDLE_SECONDS);

    /**
     * @throws IllegalArgumentException naming the option and its allowed values
     */
    static SparkOptions of(RuntimeSettings settings) {
        Map<String, String> options = settings.options();
        for (String key : options.keySet()) {
            if (key.startsWith("rzc.spark.") && !OURS.contains(key)) {
                throw new IllegalArgumentException(
                        "unknown spark runtime option '" + key + "'; the options are " + OURS);
            }
        }
        Map<String, String> conf = new LinkedHashMap<>();
        options.forEach(
                (k, v) -> {
                    if (k.startsWith("spark.") && !k.equals(SparkRuntime.MASTER)) {
                        conf.put(k, v);
                    }
                });
        long rows = positive(options, SparkRuntime.ROWS_PER_SPLIT, 100_000);
        String minExecutors = options.get(SparkRuntime.MIN_EXECUTORS);
        OptionalInt min =
                minExecutors == null
                        ? OptionalInt.empty()
                        : OptionalInt.of((int) number(SparkRuntime.MIN_EXECUTORS, minExecutors, 0));
        String publish =
                options.getOrDefault(SparkRuntime.PUBLISH_STORES, "auto").toUpperCase(Locale.ROOT);
        Publish mode;
        try {
            mode = Publish.valueOf(publish);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    SparkRuntime.PUBLISH_STORES
                            + "="
                            + options.get(SparkRuntime.PUBLISH_STORES)
                            + ": choose auto, always or never");
        }
        String master = options.get(SparkRuntime.MASTER);
        return new SparkOptions(
                master == null || master.isBlank() ? null : master.trim(),
                rows,
                min,
                Duration.ofSeconds(positive(options, SparkRuntime.EXECUTOR_TIMEOUT_SECONDS, 120)),
                mode,
                Duration.ofSeconds(
                        number(
                                SparkRuntime.ACTOR_IDLE_SECONDS,
                                options.getOrDefault(SparkRuntime.ACTOR_IDLE_SECONDS, "30"),
                                0)),
                Map.copyOf(conf),
                settings.workerJvmOptions());
    }

    /**
     * The actor bounds of this job's executors, as the driver knows them before any session
     * starts: from these options, else the running session's configuration.
     */
    ActorBounds actorBounds() {
        Map<String, String> all = new LinkedHashMap<>();
        String master = this.master;
        SparkConf running = SparkSessions.runningConf();
        if (running != null) {
            for (scala.Tuple2<String, String> kv : running.getAll()) {
                all.put(kv._1(), kv._2());
            }
            master = master != null ? master : running.get("spark.master", null);
        }
        all.putAll(sparkConf);
        return ActorBounds.of(all, master, Runtime.getRuntime().availableProcessors());
    }

    /** The actor bounds inside an executor: its own configuration, then these options. */
    ActorBounds actorBoundsInExecutor() {
        Map<String, String> all = new LinkedHashMap<>();
        SparkEnv env = SparkEnv.get();
        if (env != null) {
            for (scala.Tuple2<String, String> kv : env.conf().getAll()) {
                all.put(kv._1(), kv._2());
            }
        }
        sparkConf.forEach(all::putIfAbsent);
        String master = all.getOrDefault("spark.master", this.master);
        return ActorBounds.of(all, master, Runtime.getRuntime().availableProcessors());
    }

    private static long positive(Map<String, String> options, String key, long fallback) {
        String value = options.get(key);
        return value == null ? fallback : number(key, value, 1);
    }

    private static long number(String key, String value, long min) {
        try {
            long n = Long.parseLong(value.trim());
            if (n >= min) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(key + "=" + value + ": give a whole number >= " + min);
    }
}
