package io.rayzerocopy.spark;

import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.spark.internal.DriverStoreSource;
import io.rayzerocopy.spark.internal.SparkSessions;
import io.rayzerocopy.spi.RuntimeSettings;
import io.rayzerocopy.spi.StoreShipping;

import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;

import java.io.Serializable;

/**
 * The {@code spark} runtime: a {@link io.rayzerocopy.Dataset} run with {@code
 * ExecutionOptions.builder().runtime(RuntimeNames.SPARK)} runs as a Spark job. The driver cuts the Parquet
 * input into splits of whole row groups; each Spark task streams its split through the dataset's
 * reader, actor pool (threads of the executor, kept across tasks) and Parquet writer, so batches
 * stay Arrow; the driver commits the output of exactly one attempt per split, once. Every executor
 * of a machine maps the machine's one copy of the weights.
 *
 * <pre>{@code
 * Dataset.readParquet("features/")
 *     .withOptions(ExecutionOptions.builder()
 *             .runtime(RuntimeNames.SPARK)
 *             .runtimeOption(SparkRuntime.MASTER, "local-cluster[2,1,1024]")
 *             .build())
 *     .mapBatches(ModelScorer::new, config, 256, ActorPoolStrategy.size(1))
 *     .writeParquet("scores/");
 * }</pre>
 *
 * <p>With {@link #MASTER} the job starts a SparkSession of its own and stops it when it ends;
 * without, it uses the SparkSession already running in this JVM (e.g. under spark-submit). Other
 * runtime options starting with {@code spark.} are set on a session the job starts. See
 * docs/spark.md.
 */
public final class SparkRuntime {
    /**
     * Runtime option: the master URL of a session the job starts: {@code local-cluster[N,C,M]} (N
     * executor JVMs of C cores and M MB on this machine, no Spark download needed), {@code
     * spark://host:port}, {@code local[N]}, {@code yarn} or {@code k8s://...}.
     */
    public static final String MASTER = "spark.master";

    /**
     * Runtime option: the most rows in a split, made of whole row groups (a larger row group is a
     * split alone); default 100000.
     */
    public static final String ROWS_PER_SPLIT = "rzc.spark.rowsPerSplit";

    /**
     * Runtime option: executors to wait for before the job starts; default N for {@code
     * local-cluster[N,C,M]}, 0 for {@code local[...]}, else 1.
     */
    public static final String MIN_EXECUTORS = "rzc.spark.minExecutors";

    /** Runtime option: seconds to wait for those executors before failing; default 120. */
    public static final String EXECUTOR_TIMEOUT_SECONDS = "rzc.spark.executorTimeoutSeconds";

    /**
     * Runtime option: whether executors whose store directory lacks a weight store may fetch it
     * from the driver (its file server, on demand: an executor that has the store fetches
     * nothing): {@code auto} (the default; {@code always} is the same) or {@code never}, for a
     * store directory every node mounts (a job then fails on a node that lacks the store, naming
     * the directory and this option).
     */
    public static final String PUBLISH_STORES = "rzc.spark.publishStores";

    /**
     * Runtime option: seconds an executor keeps an idle actor (and the model it loaded) for the
     * next task of the same map; default 30. Idle actors are closed when the executor stops.
     */
    public static final String ACTOR_IDLE_SECONDS = "rzc.spark.actorIdleSeconds";

    /**
     * Runtime option (or Spark setting): the most actors one executor JVM runs at once, the pools
     * of all its concurrent tasks together; default 4 per executor core ({@code
     * spark.executor.cores}). A job whose pools would need more is refused before its session
     * starts, and an executor never starts more.
     */
    public static final String MAX_ACTORS_PER_EXECUTOR = "spark.rzc.maxActorsPerExecutor";

    /**
     * Name of the accumulator each task of a Parquet job adds its milliseconds from start to first
     * written batch to (per task in the Spark UI, and in {@code SparkListenerTaskEnd}
     * accumulables).
     */
    public static final String FIRST_BATCH_MILLIS = "rzc ms to first batch";

    private SparkRuntime() {}

    /**
     * Starts a SparkSession the way a job on this runtime starts its own, from the runtime options
     * and worker JVM options of {@code options} ({@link #MASTER} required): with {@code
     * local-cluster} the executor JVMs get this JVM's classpath and flags; our plugin is set; the
     * executors are awaited. Datasets on the {@code spark} runtime then run in it, and so can your
     * own Spark code. The caller stops it.
     *
     * @throws IllegalArgumentException as a job would, for a bad master or setting, or executors
     *     that do not start
     */
    public static SparkSession startSession(ExecutionOptions options) {
        if (!options.runtimeOptions().containsKey(MASTER)) {
            throw new IllegalArgumentException(
                    "startSession needs the runtime option "
                            + MASTER
                            + ", e.g. local-cluster[2,1,1024]");
        }
        return SparkSessions.start(
                new RuntimeSettings(
                        RuntimeNames.SPARK,
                        1,
                        options.workerJvmOptions(),
                        options.runtimeOptions()));
    }

    /**
     * A copy of {@code value} whose model wrappers can get their weight stores from this driver, so
     * that Spark code of your own (e.g. {@code mapPartitions}) can {@code load()} them wherever it
     * runs: an executor whose store directory lacks the store fetches it from the driver's file
     * server and materializes it once for that directory (hash checked; concurrent executors wait
     * for one writer), and every executor sharing the directory maps that copy; an executor that
     * finds the store fetches nothing. Datasets on the {@code spark} runtime and {@link DataFrames}
     * do this on their own.
     *
     * @throws IllegalArgumentException if {@code value} is not serializable
     */
    public static <T extends Serializable> T publish(SparkContext sc, T value) {
        return StoreShipping.publishingWith(store -> DriverStoreSource.publish(sc, store))
                .withSources(value);
    }
}
