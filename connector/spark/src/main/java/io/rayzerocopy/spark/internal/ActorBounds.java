package io.rayzerocopy.spark.internal;

import io.rayzerocopy.spark.SparkRuntime;

import java.util.Map;

/**
 * How many actors one executor JVM may run: every task running there at once has a pool of its
 * own, so an executor of C cores running C / {@code spark.task.cpus} tasks with N actors each runs
 * that many times N actor threads. Without a bound, a pool size meant for a whole cluster (or a
 * typo) makes every executor start threads until the machine can no longer fork. The bound is
 * {@value #PER_CORE} actors per executor core, or {@link SparkRuntime#MAX_ACTORS_PER_EXECUTOR}.
 *
 * @param executorCores cores of one executor
 * @param taskCpus {@code spark.task.cpus}
 * @param maxPerExecutor actors an executor may run at once
 * @param explicit whether {@code maxPerExecutor} was set, not derived from the cores
 */
record ActorBounds(int executorCores, int taskCpus, int maxPerExecutor, boolean explicit) {
    /** Actors per core past which more actors only add start-up time, memory and threads. */
    static final int PER_CORE = 4;

    /**
     * The bounds under Spark configuration {@code conf} (runtime options or a session's conf)
     * and {@code master} (null: unknown), on a machine of {@code machineCores}.
     *
     * @throws IllegalArgumentException naming a setting that is not a positive whole number
     */
    static ActorBounds of(Map<String, String> conf, String master, int machineCores) {
        int cores = positive(conf, "spark.executor.cores", coresOf(master, machineCores));
        int taskCpus = positive(conf, "spark.task.cpus", 1);
        String max = conf.get(SparkRuntime.MAX_ACTORS_PER_EXECUTOR);
        return max == null
                ? new ActorBounds(cores, taskCpus, PER_CORE * cores, false)
                : new ActorBounds(
                        cores, taskCpus, positive(conf, SparkRuntime.MAX_ACTORS_PER_EXECUTOR, 1), true);
    }

    /** Cores of an executor when {@code spark.executor.cores} is not set. */
    private static int coresOf(String master, int machineCores) {
        if (master == null) {
            return machineCores;
        }
        try {
            MasterUrl url = MasterUrl.parse(master);
            if (url.kind() == MasterUrl.Kind.LOCAL_CLUSTER) {
                return url.cores();
            }
            if (url.kind() == MasterUrl.Kind.MANAGED) {
                return 1; // YARN's and Kubernetes' default
            }
        } catch (IllegalArgumentException e) {
            // The session start names a bad master.
        }
        String local = master.trim();
        if (local.matches("local\\[\\d+(,\\d+)?]")) {
            return Integer.parseInt(local.substring(6).split("[],]")[0]);
        }
        return machineCores; // local[*]; standalone executors take all of a worker's cores
    }

    /** Tasks an executor runs at once. */
    int concurrentTasks() {
        return Math.max(1, executorCores / taskCpus);
    }

    /**
     * Refuses pools of {@code actorsPerTask} actors (all map stages of a task together) that would
     * make an executor run more actors than the bound.
     *
     * @throws IllegalArgumentException naming the count, the bound and the setting that raises it
     */
    void check(int actorsPerTask) {
        long perExecutor = (long) actorsPerTask * concurrentTasks();
        if (perExecutor <= maxPerExecutor) {
            return;
        }
        throw new IllegalArgumentException(
                actorsPerTask
                        + " actors per Spark task is too many: an executor of "
                        + executorCores
                        + " core(s) runs "
                        + concurrentTasks()
                        + " task(s) at once, each with its own pool, so it would start "
                        + perExecutor
                        + " actor threads, more than the "
                        + maxPerExecutor
                        + " allowed per executor ("
                        + (explicit
                                ? SparkRuntime.MAX_ACTORS_PER_EXECUTOR
                                : PER_CORE + " per core")
                        + "); use at most "
                        + Math.max(1, maxPerExecutor / concurrentTasks())
                        + " actors per task (usually 1 per task CPU), or set "
                        + SparkRuntime.MAX_ACTORS_PER_EXECUTOR
                        + "=N to allow N actors per executor");
    }

    private static int positive(Map<String, String> conf, String key, int fallback) {
        String value = conf.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(key + "=" + value + ": give a whole number >= 1");
    }
}
