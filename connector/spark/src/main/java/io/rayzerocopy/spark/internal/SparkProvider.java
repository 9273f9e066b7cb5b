package io.rayzerocopy.spark.internal;

import io.rayzerocopy.BatchIterator;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.WriteResult;
import io.rayzerocopy.spark.internal.compat.SparkLine;
import io.rayzerocopy.spi.ActorRuntime;
import io.rayzerocopy.spi.JobPlan;
import io.rayzerocopy.spi.JobRuntime;
import io.rayzerocopy.spi.RuntimeProvider;
import io.rayzerocopy.spi.RuntimeSettings;

import org.apache.arrow.memory.BufferAllocator;


/**
 * The {@code spark} runtime. On a driver it runs whole datasets ({@link SparkJobs}): Spark
 * schedules the splits, each task runs the dataset's reader, actor pool and writer in its executor.
 * Inside a Spark task it is the runtime of that pool: threads of the executor JVM, kept across
 * tasks ({@link ExecutorActors}).
 *
 * <p>Found by {@code ServiceLoader} even where Spark itself is missing, so this class refers to no
 * Spark type: every entry point first checks that Spark is on the classpath and otherwise names
 * what to add.
 */
public final class SparkProvider implements RuntimeProvider, JobRuntime {
    @Override
    public String name() {
        return RuntimeNames.SPARK;
    }

    @Override
    public boolean runsJobs(RuntimeSettings settings) {
        if (!sparkPresent()) {
            return true;
        }
        if (SparkTasks.inTask()) {
            return false;
        }
        // The driver asks first, before the dataset reads a footer: with another line's Spark or
        // Spark 3.5's Parquet ahead of ours that would fail with a NoSuchMethodError.
        SparkLine.requireRunning();
        return true;
    }

    @Override
    public ActorRuntime create(RuntimeSettings settings, BufferAllocator allocator) {
        requireSpark();
        if (!SparkTasks.inTask()) {
            throw new UnsupportedOperationException(
                    "the spark runtime runs whole datasets (Dataset.writeParquet, iterBatches) and"
                            + " the actors inside its own tasks; it cannot host actors or task-mode"
                            + " workers for this JVM: use the threads or processes runtime here");
        }
        SparkOptions options = SparkOptions.of(settings);
        return ExecutorActors.runtime(
                options.actorIdleTimeout(), options.actorBoundsInExecutor().maxPerExecutor());
    }

    @Override
    public void checkJob(RuntimeSettings settings, int actors) {
        requireSpark();
        SparkOptions options = SparkOptions.of(settings);
        if (options.master() != null) {
            MasterUrl.parse(options.master()).checkSupported();
        }
        options.actorBounds().check(actors);
    }

    @Override
    public WriteResult writeParquet(JobPlan plan, String directory, ParquetWriteOptions options) {
        requireSpark();
        return SparkJobs.writeParquet(plan, directory, options);
    }

    @Override
    public BatchIterator iterBatches(JobPlan plan) {
        requireSpark();
        return SparkJobs.iterBatches(plan);
    }

    /**
     * @throws IllegalArgumentException naming the artifacts to add if Spark is not on the classpath
     */
    static void requireSpark() {
        if (!sparkPresent()) {
            throw new IllegalArgumentException(
                    "runtime 'spark' needs "
                            + SparkLine.describe()
                            + " on the classpath: add "
                            + SparkLine.sqlArtifact()
                            + " next to io.rayzerocopy:ray-zerocopy-spark (spark-submit provides"
                            + " it on a cluster)");
        }
        SparkLine.requireRunning();
    }

    private static boolean sparkPresent() {
        try {
            Class.forName(
                    "org.apache.spark.sql.SparkSession",
                    false,
                    SparkProvider.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
