package io.rayzerocopy.spark.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.BatchFn;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.spark.SparkRuntime;
import io.rayzerocopy.spi.ActorHandle;
import io.rayzerocopy.spi.ActorRuntime;
import io.rayzerocopy.spi.ActorSpec;
import io.rayzerocopy.spi.BatchProcessor;
import io.rayzerocopy.spi.RuntimeSettings;
import io.rayzerocopy.spi.Runtimes;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Actors per executor are bounded on the spark runtime (issue #19): absurd pools are refused on the
 * driver before any session starts, and an executor never starts more actors than its bound.
 */
class ActorBoundsTest {
    @AfterEach
    void closeActors() {
        ExecutorActors.closeAll();
    }

    @Test
    void theBoundIsFourPerExecutorCoreUnlessSet() {
        assertEquals(4, bounds(Map.of(), "local-cluster[2,1,1024]").maxPerExecutor());
        assertEquals(8, bounds(Map.of(), "local-cluster[2,2,1024]").maxPerExecutor());
        assertEquals(12, bounds(Map.of("spark.executor.cores", "3"), "spark://h:7077").maxPerExecutor());
        assertEquals(4, bounds(Map.of(), "yarn").maxPerExecutor());
        assertEquals(16, bounds(Map.of(), "local[4]").maxPerExecutor());
        assertEquals(
                1000,
                bounds(Map.of(SparkRuntime.MAX_ACTORS_PER_EXECUTOR, "1000"), "local[4]")
                        .maxPerExecutor());
        // 2 cores, 2 tasks at once: 4 actors per task would be 8 per executor.
        ActorBounds twoCores = bounds(Map.of(), "local-cluster[1,2,1024]");
        twoCores.check(4);
        assertThrows(IllegalArgumentException.class, () -> twoCores.check(5));
        // spark.task.cpus=2: one task at a time, so 8 actors fit.
        bounds(Map.of("spark.task.cpus", "2"), "local-cluster[1,2,1024]").check(8);
    }

    @Test
    void anAbsurdPoolIsRefusedBeforeAnySessionStartsNamingTheOverride() {
        RuntimeSettings settings =
                new RuntimeSettings(
                        RuntimeNames.SPARK,
                        1,
                        List.of(),
                        Map.of(SparkRuntime.MASTER, "local-cluster[2,1,1024]"));
        long t0 = System.nanoTime();
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Runtimes.find(RuntimeNames.SPARK).checkJob(settings, 100_000));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "at once");
        assertTrue(
                e.getMessage().startsWith("100000 actors per Spark task is too many")
                        && e.getMessage().contains("more than the 4 allowed per executor")
                        && e.getMessage().contains(SparkRuntime.MAX_ACTORS_PER_EXECUTOR + "=N"),
                e.getMessage());
        assertTrue(SparkSession.getActiveSession().isEmpty(), "no session started");
        // The override lets a larger pool through the check.
        Runtimes.find(RuntimeNames.SPARK)
                .checkJob(
                        new RuntimeSettings(
                                RuntimeNames.SPARK,
                                1,
                                List.of(),
                                Map.of(
                                        SparkRuntime.MASTER,
                                        "local-cluster[2,1,1024]",
                                        SparkRuntime.MAX_ACTORS_PER_EXECUTOR,
                                        "6")),
                        6);
    }

    @Test
    void aDatasetJobWithTooManyActorsPerTaskFailsBeforeItsSessionStarts(@TempDir Path dir) {
        // 50, not 100000: were the check missing, this job would run (and start 50 threads per
        // executor), which the machine survives.
        Dataset job =
                Dataset.fromItems(List.of(Map.<String, Object>of("id", 1L)))
                        .withOptions(
                                ExecutionOptions.builder()
                                        .runtime(RuntimeNames.SPARK)
                                        .runtimeOption(SparkRuntime.MASTER, "local-cluster[2,1,1024]")
                                        .build())
                        .mapBatches(ActorBoundsTest::unused, "arg", 10, ActorPoolStrategy.size(50));
        Path out = dir.resolve("out");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> job.writeParquet(out.toString()));
        assertTrue(
                e.getMessage().startsWith("50 actors per Spark task is too many")
                        && e.getMessage().contains(SparkRuntime.MAX_ACTORS_PER_EXECUTOR),
                e.getMessage());
        assertTrue(SparkSession.getActiveSession().isEmpty(), "no session started");
        assertTrue(Files.notExists(out));
        assertThrows(IllegalArgumentException.class, job::iterBatches);
        assertTrue(SparkSession.getActiveSession().isEmpty(), "no session started");
    }

    private static BatchFn unused(String arg) {
        throw new UnsupportedOperationException("never constructed");
    }

    @Test
    void anExecutorStartsNoActorPastItsBoundAndClosesIdleOnesToMakeRoom() throws Exception {
        ActorRuntime first = ExecutorActors.runtime(Duration.ofMinutes(1), 2);
        ActorHandle a = first.start(new Trivial("a"), "a-0");
        ActorHandle b = first.start(new Trivial("a"), "a-1");
        a.ready().get(10, TimeUnit.SECONDS);
        b.ready().get(10, TimeUnit.SECONDS);
        IllegalStateException full =
                assertThrows(IllegalStateException.class, () -> first.start(new Trivial("a"), "a-2"));
        assertTrue(
                full.getMessage().contains("already runs 2 busy actors")
                        && full.getMessage().contains(SparkRuntime.MAX_ACTORS_PER_EXECUTOR + "=2"),
                full.getMessage());
        assertEquals(2, ExecutorActors.live());
        first.close(); // both go idle
        assertEquals(2, ExecutorActors.live());
        ActorRuntime second = ExecutorActors.runtime(Duration.ofMinutes(1), 2);
        second.start(new Trivial("b"), "b-0").ready().get(10, TimeUnit.SECONDS);
        assertEquals(2, ExecutorActors.live(), "an idle actor was closed to make room");
        second.close();
    }

    private static ActorBounds bounds(Map<String, String> conf, String master) {
        return ActorBounds.of(conf, master, 2);
    }

    /** An actor that returns its input's row count; {@code tag} tells specs apart. */
    private record Trivial(String tag) implements ActorSpec {
        @Override
        public String name() {
            return "trivial-" + tag;
        }

        @Override
        public BatchProcessor create() {
            return (input, allocator) -> {
                throw new UnsupportedOperationException("not called");
            };
        }
    }
}
