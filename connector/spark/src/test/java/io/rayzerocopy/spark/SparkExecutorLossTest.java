package io.rayzerocopy.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.TorchScriptModel;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** kill -9 of an executor JVM mid-job: Spark reruns its tasks and every row lands once. */
class SparkExecutorLossTest {
    private static final int ROWS = 2100;

    @TempDir static Path dir;
    static SparkSession spark;
    static ModelWrapper<Model> wrapper;
    static Path features;

    @BeforeAll
    static void start() {
        features = SparkTests.writeFeatures(dir.resolve("features"), 3, ROWS / 3);
        spark = SparkTests.start(2, Map.of());
        wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (wrapper != null) {
            wrapper.close();
        }
    }

    @Test
    void killingAnExecutorMidJobLosesAndDuplicatesNothing() throws Exception {
        String app = spark.sparkContext().applicationId();
        List<Long> pids = SparkTests.executorPids(app);
        assertEquals(2, pids.size());
        long victim = pids.get(0);
        AtomicInteger ended = new AtomicInteger();
        AtomicLong killedAt = new AtomicLong();
        AtomicLong removedAt = new AtomicLong();
        AtomicLong addedAt = new AtomicLong();
        List<String> lost = new CopyOnWriteArrayList<>();
        SparkListener killer =
                new SparkListener() {
                    @Override
                    public void onTaskEnd(SparkListenerTaskEnd event) {
                        if (!event.taskInfo().successful()) {
                            lost.add(event.reason().toString());
                        }
                        if (ended.incrementAndGet() == 4) {
                            ProcessHandle.of(victim)
                                    .ifPresent(
                                            p -> {
                                                killedAt.set(System.nanoTime());
                                                p.destroyForcibly(); // SIGKILL
                                            });
                        }
                    }

                    @Override
                    public void onExecutorRemoved(SparkListenerExecutorRemoved event) {
                        removedAt.compareAndSet(0, System.nanoTime());
                    }

                    @Override
                    public void onExecutorAdded(SparkListenerExecutorAdded event) {
                        if (killedAt.get() != 0) {
                            addedAt.compareAndSet(0, System.nanoTime());
                        }
                    }
                };
        spark.sparkContext().addSparkListener(killer);
        Path out = dir.resolve("scores");
        long t0 = System.nanoTime();
        try {
            Dataset.readParquet(features.toString())
                    .withOptions(
                            SparkTests.options(null)
                                    .runtimeOption(SparkRuntime.ROWS_PER_SPLIT, "100")
                                    .build())
                    .mapBatches(
                            TestActors::slow,
                            new TestActors.Args(
                                    ModelScorer.config(wrapper)
                                            .inputColumn("features")
                                            .keepColumns("id")
                                            .build(),
                                    dir.toString(),
                                    60,
                                    false),
                            25,
                            ActorPoolStrategy.size(1))
                    .writeParquet(out.toString());
        } finally {
            spark.sparkContext().removeSparkListener(killer);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                "TIMING kill -9 of executor %d: job %.2f s; the driver saw it removed %.3f s after"
                        + " the kill; its replacement registered %.2f s after; lost attempts %s%n",
                victim,
                seconds,
                (removedAt.get() - killedAt.get()) / 1e9,
                (addedAt.get() - killedAt.get()) / 1e9,
                lost);
        assertTrue(killedAt.get() != 0, "the executor was killed during the job");
        assertTrue(
                lost.stream().anyMatch(r -> r.contains("ExecutorLostFailure")),
                "an attempt was lost with the executor: " + lost);
        SparkTests.assertScores(out, ROWS);
        SparkTests.assertNoLeftovers(out);
    }
}
