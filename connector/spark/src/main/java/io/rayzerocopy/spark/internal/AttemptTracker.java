package io.rayzerocopy.spark.internal;

import io.rayzerocopy.spark.internal.compat.ScalaSeqs;

import org.apache.spark.SparkContext;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.TaskInfo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * Follows every task attempt of the Spark jobs of one job group: the driver waits until none runs
 * (a speculative or killed attempt may outlive its job) before it deletes the attempts' staging,
 * reports rows committed by finished tasks as they end, and can say what happened to each attempt.
 */
final class AttemptTracker extends SparkListener {
    /** "spark.jobGroup.id": SparkContext.SPARK_JOB_GROUP_ID is private[spark]. */
    private static final String JOB_GROUP = "spark.jobGroup.id";

    /** One attempt as the driver saw it. */
    record Attempt(
            int partition,
            int attemptNumber,
            long taskId,
            String executorId,
            boolean speculative,
            String end) {}

    private final String group;
    private final long rowsAccumulator;
    private final BiConsumer<List<Integer>, Long> rowsCommitted;
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private final Set<Integer> jobs = ConcurrentHashMap.newKeySet();
    private final Set<Integer> jobsEnded = ConcurrentHashMap.newKeySet();
    private final Map<Long, Attempt> attempts = new ConcurrentHashMap<>();
    private final Set<Long> running = ConcurrentHashMap.newKeySet();
    private final Set<Integer> succeeded = ConcurrentHashMap.newKeySet();
    private long rows;

    private AttemptTracker(
            String group, long rowsAccumulator, BiConsumer<List<Integer>, Long> rowsCommitted) {
        this.group = group;
        this.rowsAccumulator = rowsAccumulator;
        this.rowsCommitted = rowsCommitted;
    }

    /**
     * A tracker registered on {@code sc} for the jobs of {@code group}; {@code rowsCommitted} hears
     * the splits finished so far and the total of accumulator {@code rowsAccumulator} over them.
     */
    static AttemptTracker on(
            SparkContext sc,
            String group,
            long rowsAccumulator,
            BiConsumer<List<Integer>, Long> rowsCommitted) {
        AttemptTracker tracker = new AttemptTracker(group, rowsAccumulator, rowsCommitted);
        sc.addSparkListener(tracker);
        return tracker;
    }

    @Override
    public void onJobStart(SparkListenerJobStart event) {
        if (group.equals(event.properties().getProperty(JOB_GROUP))) {
            for (Object id : ScalaSeqs.asJava(event.stageIds())) {
                stages.add((Integer) id);
            }
            jobs.add(event.jobId());
        }
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd event) {
        if (jobs.contains(event.jobId())) {
            jobsEnded.add(event.jobId());
        }
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart event) {
        if (stages.contains(event.stageId())) {
            TaskInfo info = event.taskInfo();
            running.add(info.taskId());
            attempts.put(info.taskId(), attempt(info, "running"));
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd event) {
        if (!stages.contains(event.stageId())) {
            return;
        }
        TaskInfo info = event.taskInfo();
        running.remove(info.taskId());
        attempts.put(
                info.taskId(),
                attempt(
                        info,
                        event.reason() instanceof TaskFailedReason failed
                                ? failed.toErrorString()
                                : event.reason().toString()));
        if (info.successful() && succeeded.add(info.index())) {
            for (AccumulableInfo acc :
                    ScalaSeqs.asJava(info.accumulables())) {
                if (acc.id() == rowsAccumulator && acc.update().isDefined()) {
                    long total;
                    List<Integer> finished;
                    synchronized (this) {
                        rows += ((Number) acc.update().get()).longValue();
                        total = rows;
                        finished = List.copyOf(succeeded);
                    }
                    rowsCommitted.accept(finished, total);
                }
            }
        }
    }

    private static Attempt attempt(TaskInfo info, String end) {
        return new Attempt(
                info.index(),
                info.attemptNumber(),
                info.taskId(),
                info.executorId(),
                info.speculative(),
                end);
    }

    /**
     * Waits until the group's jobs ended and none of their attempts runs (listener events arrive
     * asynchronously, so this may lag the job by milliseconds).
     *
     * @return false if that did not happen within {@code timeout}
     */
    boolean awaitQuiet(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (jobsEnded.containsAll(jobs) && running.isEmpty()) {
                return true;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** Every attempt seen, in task id order. */
    List<Attempt> attempts() {
        List<Attempt> all = new ArrayList<>(attempts.values());
        all.sort(Comparator.comparingLong(Attempt::taskId));
        return all;
    }

    /** Attempts still running. */
    int runningAttempts() {
        return running.size();
    }
}
