package io.rayzerocopy.internal.spark;

import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.WriteResult;
import io.rayzerocopy.internal.data.ParquetSplitSource;
import io.rayzerocopy.internal.exec.JobPlan;
import io.rayzerocopy.internal.storage.Storage;
import io.rayzerocopy.internal.storage.Tree;

import org.apache.hadoop.fs.Path;

import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.util.LongAccumulator;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One Spark task of a Parquet job: runs the dataset's maps over its split and writes the result,
 * committed, into a directory of its own attempt ({@code p<split>-t<task attempt id>} under the
 * job's staging directory). Nothing it writes is visible until the driver commits this attempt.
 */
final class SplitTask
        implements Function2<Integer, Iterator<ParquetSplitSource>, Iterator<TaskOutput>> {
    private static final long serialVersionUID = 1L;

    private final String staging;

    /** The driver's Hadoop settings ({@link Storage#configure}), for the executors' clients. */
    private final Map<String, String> storageSettings;

    private final JobPlan.Runner runner;
    private final ParquetWriteOptions writeOptions;
    private final LongAccumulator rows;
    private final LongAccumulator firstBatchMillis;

    SplitTask(
            String staging,
            JobPlan.Runner runner,
            ParquetWriteOptions writeOptions,
            LongAccumulator rows,
            LongAccumulator firstBatchMillis) {
        this.staging = staging;
        this.storageSettings = Storage.settings();
        this.runner = runner;
        // Each attempt writes into a new directory of its own; resuming is the driver's business
        // (it skips the splits a killed run committed).
        this.writeOptions =
                writeOptions.toBuilder()
                        .saveMode(ParquetWriteOptions.SaveMode.ERROR_IF_EXISTS)
                        .resume(false)
                        .build();
        this.rows = rows;
        this.firstBatchMillis = firstBatchMillis;
    }

    @Override
    public Iterator<TaskOutput> call(Integer partition, Iterator<ParquetSplitSource> splits)
            throws Exception {
        long start = System.nanoTime();
        List<ParquetSplitSource> mine = new ArrayList<>();
        splits.forEachRemaining(mine::add);
        if (mine.size() != 1) {
            throw new IllegalStateException(
                    "split " + partition + " got " + mine.size() + " splits instead of one");
        }
        TaskContext task = TaskContext.get();
        if (!Storage.settings().equals(storageSettings)) {
            Storage.configure(storageSettings);
        }
        Tree tree = Tree.of(staging);
        Path attempt =
                new Path(
                        tree.path(staging),
                        String.format("p%05d-t%d", partition, task.taskAttemptId()));
        // createDirectory, not createDirectories: once the driver has deleted the staging
        // directory, a late attempt fails here instead of making it again.
        tree.createDirectory(attempt);
        AtomicLong firstBatch = new AtomicLong(-1);
        WriteResult written =
                runner.writeParquet(
                        mine.get(0),
                        tree.name(new Path(attempt, "data")),
                        writeOptions,
                        progress -> firstBatch.compareAndSet(-1, System.nanoTime() - start));
        rows.add(written.rowsWritten());
        if (firstBatch.get() >= 0) {
            firstBatchMillis.add(firstBatch.get() / 1_000_000);
        }
        return List.of(
                        new TaskOutput(
                                partition,
                                task.attemptNumber(),
                                task.taskAttemptId(),
                                SparkEnv.get().executorId(),
                                ProcessHandle.current().pid(),
                                written.directory(),
                                written.rowsWritten(),
                                written.erroredRows(),
                                written.stats(),
                                firstBatch.get() < 0 ? -1 : firstBatch.get() / 1_000_000,
                                (System.nanoTime() - start) / 1_000_000))
                .iterator();
    }
}
