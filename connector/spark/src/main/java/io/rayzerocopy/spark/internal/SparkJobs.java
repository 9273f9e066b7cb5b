package io.rayzerocopy.spark.internal;

import io.rayzerocopy.BatchIterator;
import io.rayzerocopy.DatasetException;
import io.rayzerocopy.ExecutionStats;
import io.rayzerocopy.OperatorStats;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.WriteResult;
import io.rayzerocopy.spark.SparkRuntime;
import io.rayzerocopy.spi.ArrowBatches;
import io.rayzerocopy.spi.JobPlan;
import io.rayzerocopy.spi.Results;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Function1;
import scala.Function2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.BoxedUnit;

import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.stream.LongStream;

/**
 * Runs a dataset as a Spark job, on the driver. Splits are planned from the Parquet footers (and
 * the input checked) before any session starts; then one Spark task per split runs the dataset's
 * maps over its split and writes a committed output of its own attempt; the driver receives exactly
 * one result per split (the attempt Spark accepted; retried, speculative and killed attempts are
 * not), moves those files into the job's output, commits it once, and deletes every attempt's
 * directory once no attempt runs any more. A failed job leaves the output as it was.
 *
 * <p>Input and output are paths or URIs: with executors on several machines, they must be on a
 * file system every machine reaches, such as HDFS ({@code hdfs://...}) or a directory every machine
 * mounts at the same path.
 */
final class SparkJobs {
    private static final Logger LOG = LoggerFactory.getLogger(SparkJobs.class);

    /** How long the driver waits for attempts that outlive their job (killed, speculative). */
    private static final Duration DRAIN = Duration.ofSeconds(60);

    private SparkJobs() {}

    static WriteResult writeParquet(JobPlan plan, String directory, ParquetWriteOptions options) {
        long start = System.nanoTime();
        SparkOptions settings = SparkOptions.of(plan.settings());
        settings.actorBounds().check(plan.runner().maxActors());
        List<JobPlan.Split> splits = plan.splits(settings.rowsPerSplit());
        try (JobPlan.Output output = plan.openOutput(directory, options, splits)) {
            // A resumed run skips the splits with the same name a run that died committed.
            List<JobPlan.Split> todo =
                    splits.stream()
                            .filter(s -> !output.resumedSplits().contains(s.name()))
                            .toList();
            if (!output.resumedSplits().isEmpty()) {
                LOG.info(
                        "resuming: {} of {} splits were committed by the run that died",
                        splits.size() - todo.size(),
                        splits.size());
            }
            List<TaskOutput> outputs = new ArrayList<>();
            if (!todo.isEmpty()) {
                String job = UUID.randomUUID().toString();
                // Inside the output's staging area, which is named after this process: if the
                // driver is killed, the next job on this output or `rzc clean` removes the
                // attempts with it. Made before the session starts, so that an output the
                // attempts cannot be adopted into (an object store) is refused before any work.
                JobPlan.AttemptArea attempts = output.attempts("attempts-" + job);
                SparkSessions.Handle session;
                try {
                    session = SparkSessions.acquire(settings);
                } catch (RuntimeException e) {
                    attempts.delete();
                    throw e;
                }
                try (session) {
                    outputs =
                            run(
                                    plan,
                                    settings,
                                    session.context(),
                                    output,
                                    options,
                                    todo,
                                    start,
                                    job,
                                    attempts);
                }
            }
            return commit(plan, output, outputs, start);
        }
    }

    /**
     * Runs one task per split; adopts each split into {@code output} (under its name) as Spark
     * accepts one of its attempts, so that a run killed later can be resumed from there.
     */
    private static List<TaskOutput> run(
            JobPlan plan,
            SparkOptions settings,
            SparkContext sc,
            JobPlan.Output output,
            ParquetWriteOptions options,
            List<JobPlan.Split> splits,
            long start,
            String job,
            JobPlan.AttemptArea attempts) {
        JobPlan.Runner runner = Shipping.forCluster(sc, plan.runner(), settings.publish());
        String out = output.directory();
        LongAccumulator written = sc.longAccumulator("rzc rows written");
        LongAccumulator firstBatch = sc.longAccumulator(SparkRuntime.FIRST_BATCH_MILLIS);
        AttemptTracker tracker =
                AttemptTracker.on(sc, "rzc-" + job, written.id(), progress(plan, splits, start));
        sc.setJobGroup("rzc-" + job, runner.describe() + " -> " + out, /* interruptOnCancel= */ true);
        List<TaskOutput> accepted = Collections.synchronizedList(new ArrayList<>());
        try {
            RDD<TaskOutput> tasks =
                    JavaSparkContext.fromSparkContext(sc)
                            .parallelize(splits, splits.size())
                            .mapPartitionsWithIndex(
                                    new SplitTask(attempts, runner, options, written, firstBatch),
                                    false)
                            .rdd();
            Function1<scala.collection.Iterator<TaskOutput>, TaskOutput> first =
                    (Function1<scala.collection.Iterator<TaskOutput>, TaskOutput> & Serializable)
                            it -> it.next();
            Function2<Object, TaskOutput, BoxedUnit> commitSplit =
                    (index, task) -> {
                        output.adopt(splits.get((Integer) index).name(), task.directory());
                        accepted.add(task);
                        return BoxedUnit.UNIT;
                    };
            ClassTag<TaskOutput> type = ClassTag$.MODULE$.apply(TaskOutput.class);
            sc.runJob(tasks, first, commitSplit, type);
            drain(tracker, attempts);
            return List.copyOf(accepted);
        } catch (Exception e) {
            // runJob throws SparkException: checked, though Scala does not declare it.
            drain(tracker, attempts);
            if (e instanceof IllegalArgumentException || e instanceof DatasetException) {
                throw (RuntimeException) e;
            }
            throw new DatasetException(
                    "the Spark job writing "
                            + out
                            + " failed, and the output was not changed: "
                            + firstLine(e),
                    e);
        } finally {
            sc.clearJobGroup();
            sc.removeSparkListener(tracker);
            attempts.delete();
        }
    }

    /** Reports rows committed by finished splits to the plan's progress listener. */
    private static java.util.function.BiConsumer<List<Integer>, Long> progress(
            JobPlan plan, List<JobPlan.Split> splits, long start) {
        long[] splitRows = splits.stream().mapToLong(JobPlan.Split::rows).toArray();
        long inputRows = LongStream.of(splitRows).sum();
        return (finished, rows) ->
                plan.reportProgress(
                        Results.progress(
                                rows,
                                0,
                                finished.stream().mapToLong(p -> splitRows[p]).sum(),
                                OptionalLong.of(inputRows),
                                Duration.ofNanos(System.nanoTime() - start)));
    }

    private static WriteResult commit(
            JobPlan plan, JobPlan.Output output, List<TaskOutput> accepted, long start) {
        long rows = output.rows();
        long errored = accepted.stream().mapToLong(TaskOutput::erroredRows).sum();
        List<String> files = output.commit();
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        ExecutionStats stats = aggregate(accepted, elapsed);
        plan.reportFinished(stats);
        LOG.info(
                "committed {} rows ({} errored) of {} splits ({} resumed) from {} executor JVMs"
                        + " to {} in {} s; first batch of a task after {} ms (median)",
                rows,
                errored,
                accepted.size() + output.resumedSplits().size(),
                output.resumedSplits().size(),
                accepted.stream().mapToLong(TaskOutput::pid).distinct().count(),
                output.directory(),
                String.format("%.2f", elapsed.toNanos() / 1e9),
                medianFirstBatch(accepted));
        return Results.writeResult(
                output.directory(),
                files,
                rows,
                errored,
                elapsed,
                stats,
                output.resumedSplits().size(),
                output.resumedRows());
    }

    private static long medianFirstBatch(List<TaskOutput> outputs) {
        long[] times =
                outputs.stream()
                        .mapToLong(TaskOutput::firstBatchMillis)
                        .filter(t -> t >= 0)
                        .sorted()
                        .toArray();
        return times.length == 0 ? -1 : times[times.length / 2];
    }

    /**
     * The tasks' statistics summed per operator (rows, batches, errored rows, busy and blocked
     * time); each operator's wall time is the job's.
     */
    static ExecutionStats aggregate(List<TaskOutput> outputs, Duration elapsed) {
        Map<String, List<OperatorStats>> byName = new LinkedHashMap<>();
        for (TaskOutput output : outputs) {
            for (OperatorStats op : output.stats().operators()) {
                byName.computeIfAbsent(op.name(), k -> new ArrayList<>()).add(op);
            }
        }
        List<OperatorStats> operators = new ArrayList<>();
        for (Map.Entry<String, List<OperatorStats>> entry : byName.entrySet()) {
            long rows = 0;
            long batches = 0;
            long errored = 0;
            Duration busy = Duration.ZERO;
            Duration blocked = Duration.ZERO;
            Map<String, Long> counters = new LinkedHashMap<>();
            for (OperatorStats op : entry.getValue()) {
                rows += op.rows();
                batches += op.batches();
                errored += op.erroredRows();
                busy = busy.plus(op.busyTime());
                blocked = blocked.plus(op.blockedTime());
                op.counters().forEach((k, v) -> counters.merge(k, v, Long::sum));
            }
            operators.add(
                    Results.operatorStats(
                            entry.getKey(),
                            rows,
                            batches,
                            errored,
                            elapsed,
                            busy,
                            blocked,
                            counters));
        }
        return Results.executionStats(operators, elapsed);
    }

    static BatchIterator iterBatches(JobPlan plan) {
        SparkOptions settings = SparkOptions.of(plan.settings());
        settings.actorBounds().check(plan.runner().maxActors());
        List<JobPlan.Split> splits = plan.splits(settings.rowsPerSplit());
        SparkSessions.Handle session = SparkSessions.acquire(settings);
        try {
            SparkContext sc = session.context();
            JobPlan.Runner runner = Shipping.forCluster(sc, plan.runner(), settings.publish());
            Iterator<byte[]> batches =
                    JavaSparkContext.fromSparkContext(sc)
                            .parallelize(splits, splits.size())
                            .mapPartitions(new BatchTask(runner))
                            .toLocalIterator();
            return new RemoteBatches(batches, session, plan);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    private static void drain(AttemptTracker tracker, JobPlan.AttemptArea attempts) {
        if (!tracker.awaitQuiet(DRAIN)) {
            LOG.warn(
                    "{} task attempt(s) still running {} s after the job ended; deleting {}"
                            + " anyway",
                    tracker.runningAttempts(),
                    DRAIN.toSeconds(),
                    attempts);
        }
    }

    private static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        return message.strip().lines().findFirst().orElse(message);
    }

    /** Batches computed by Spark tasks, fetched split by split as the caller reads them. */
    private static final class RemoteBatches implements BatchIterator {
        private final Iterator<byte[]> batches;
        private final SparkSessions.Handle session;
        private final JobPlan plan;
        private final long start = System.nanoTime();
        private final BufferAllocator allocator = ArrowBatches.allocator("spark-results");
        private VectorSchemaRoot current;
        private long rows;
        private long count;
        private boolean closed;
        private boolean reported;

        RemoteBatches(Iterator<byte[]> batches, SparkSessions.Handle session, JobPlan plan) {
            this.batches = batches;
            this.session = session;
            this.plan = plan;
        }

        @Override
        public boolean hasNext() {
            if (closed) {
                return false;
            }
            boolean more;
            try {
                more = batches.hasNext();
            } catch (Exception e) {
                throw new DatasetException("the Spark job failed: " + firstLine(e), e);
            }
            if (!more && !reported) {
                reported = true;
                Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
                plan.reportFinished(
                        Results.executionStats(
                                List.of(
                                        Results.operatorStats(
                                                "spark tasks",
                                                rows,
                                                count,
                                                0,
                                                elapsed,
                                                Duration.ZERO,
                                                Duration.ZERO,
                                                Map.of())),
                                elapsed));
            }
            return more;
        }

        @Override
        public VectorSchemaRoot next() {
            if (!hasNext()) {
                throw new NoSuchElementException("no more batches");
            }
            release();
            try {
                current = ArrowBatches.fromIpc(batches.next(), allocator);
            } catch (IOException e) {
                throw new DatasetException("cannot read a batch a Spark task sent: " + e, e);
            }
            rows += current.getRowCount();
            count++;
            return current;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            release();
            try {
                allocator.close();
            } finally {
                session.close();
            }
        }

        private void release() {
            if (current != null) {
                current.close();
                current = null;
            }
        }
    }
}
