package io.rayzerocopy.spark.internal;

import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkExecutorInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.storage.BlockManagerId;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Waits, in bounded time, for an application's executors and says why they did not come. Without it
 * a driver waits forever for executors that cannot start: the standalone master relaunches an
 * executor that dies after reaching RUNNING (a bad classpath, bad JVM options) without end, and
 * removes the application only when executors fail before RUNNING (no SPARK_HOME on a worker).
 */
final class ExecutorWatch extends SparkListener {
    private final List<String> removed = new CopyOnWriteArrayList<>();
    private volatile boolean applicationEnded;

    private ExecutorWatch() {}

    /** A watch registered on {@code sc}; register it right after the context starts. */
    static ExecutorWatch on(SparkContext sc) {
        ExecutorWatch watch = new ExecutorWatch();
        sc.addSparkListener(watch);
        return watch;
    }

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved event) {
        removed.add("executor " + event.executorId() + ": " + event.reason());
    }

    @Override
    public void onApplicationEnd(SparkListenerApplicationEnd event) {
        applicationEnded = true;
    }

    /** The live executors of {@code sc}, without the driver. */
    static List<SparkExecutorInfo> executors(SparkContext sc) {
        List<SparkExecutorInfo> out = new ArrayList<>();
        BlockManagerId driver = SparkEnv.get().blockManager().blockManagerId();
        // getExecutorInfos() lists the driver's block manager too.
        for (SparkExecutorInfo info : sc.statusTracker().getExecutorInfos()) {
            if (!(info.host().equals(driver.host()) && info.port() == driver.port())) {
                out.add(info);
            }
        }
        return out;
    }

    /**
     * Waits until {@code count} executors are registered.
     *
     * @throws IllegalArgumentException when the context stops (the master gave up on the
     *     application), when {@code maxFailures} executors were lost meanwhile, or after {@code
     *     timeout}; the message carries Spark's reasons and what to check
     */
    void await(SparkContext sc, String master, int count, Duration timeout, int maxFailures) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int live = executors(sc).size();
            if (live >= count) {
                return;
            }
            if (sc.isStopped() || applicationEnded) {
                throw new IllegalArgumentException(
                        "Spark stopped the application while waiting for "
                                + count
                                + " executors of "
                                + master
                                + " (the master gave up on it); executors lost: "
                                + removed
                                + "; check SPARK_HOME and the executors' logs on the workers");
            }
            if (removed.size() >= maxFailures) {
                throw new IllegalArgumentException(
                        removed.size()
                                + " executors of "
                                + master
                                + " exited before "
                                + count
                                + " were running: "
                                + removed
                                + "; check spark.executor.extraClassPath and"
                                + " spark.executor.extraJavaOptions (their logs are under"
                                + " $SPARK_HOME/work on the workers)");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalArgumentException(
                        "only "
                                + live
                                + " of "
                                + count
                                + " executors of "
                                + master
                                + " registered within "
                                + timeout.toSeconds()
                                + " s; check that the workers run and have free cores and"
                                + " memory (spark.executor.cores, spark.executor.memory)"
                                + (removed.isEmpty() ? "" : "; executors lost: " + removed));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for executors", e);
            }
        }
    }
}
