package io.rayzerocopy.spark.internal;

import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.WriteResult;
import io.rayzerocopy.spi.JobPlan;

import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.util.LongAccumulator;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One Spark task of a Parquet job: runs the dataset's maps over its split and writes the result,
 * committed, into a directory of its own attempt ({@code p<split>-t<task attempt id>} in the job's
 * attempt area). Nothing it writes is visible until the driver adopts this attempt.
 */
final class SplitTask
        implements Function2<Integer, Iterator<JobPlan.Split>, Iterator<TaskOutput>> {
    private static final long serialVersionUID = 1L;

    private final JobPlan.AttemptArea attempts;
    private final JobPlan.Runner runner;
    private final ParquetWriteOptions writeOptions;
    private final LongAccumulator rows;
    private final LongAccumulator firstBatchMillis;

    SplitTask(
            JobPlan.AttemptArea attempts,
            JobPlan.Runner runner,
            ParquetWriteOptions writeOptions,
            LongAccumulator rows,
            LongAccumulator firstBatchMillis) {
        this.attempts = attempts;
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
    public Iterator<TaskOutput> call(Integer partition, Iterator<JobPlan.Split> splits) {
        long start = System.nanoTime();
        List<JobPlan.Split> mine = new ArrayList<>();
        splits.forEachRemaining(mine::add);
        if (mine.size() != 1) {
            throw new IllegalStateException(
                    "split " + partition + " got " + mine.size() + " splits instead of one");
        }
        TaskContext task = TaskContext.get();
        String attempt =
                attempts.create(String.format("p%05d-t%d", partition, task.taskAttemptId()));
        AtomicLong firstBatch = new AtomicLong(-1);
        WriteResult written =
                runner.writeParquet(
                        mine.get(0),
                        attempt,
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
