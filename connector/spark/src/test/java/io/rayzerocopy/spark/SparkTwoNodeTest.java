package io.rayzerocopy.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.internal.model.StoreMemory;
import io.rayzerocopy.internal.model.StoreRef;
import io.rayzerocopy.internal.model.WeightStore;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Two "machines" (issue #23): a standalone Master and two Workers of 2 executors each, every Worker
 * with a store directory of its own. With default settings each executor gets the weights wherever
 * it runs, one copy per node shared by the node's two executors; a lost node and a straggler
 * overtaken by a speculative copy leave the output exact.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkTwoNodeTest {
    private static final int ROWS = 2400;
    private static final String A = TwoNodeCluster.HOSTS.get(0);
    private static final String B = TwoNodeCluster.HOSTS.get(1);

    @TempDir static Path dir;
    static TwoNodeCluster cluster;
    static SparkSession spark;
    static ModelWrapper<Model> wrapper;
    static StoreRef store;
    static Path features;

    @BeforeAll
    static void start() throws Exception {
        long t0 = System.nanoTime();
        features = SparkTests.writeFeatures(dir.resolve("features"), 4, ROWS / 4);
        cluster = TwoNodeCluster.start(dir);
        ExecutionOptions.Builder options =
                SparkTests.options(cluster.masterUrl())
                        .runtimeOption(SparkRuntime.MIN_EXECUTORS, "4")
                        .runtimeOption("spark.executor.cores", "1")
                        .runtimeOption("spark.executor.memory", "512m")
                        .runtimeOption("spark.driver.host", "127.0.0.1")
                        .runtimeOption("spark.ui.enabled", "false")
                        // A straggler is copied once the others of its stage are done; regular
                        // tasks (under a second) never are.
                        .runtimeOption("spark.speculation", "true")
                        .runtimeOption("spark.speculation.interval", "200ms")
                        .runtimeOption("spark.speculation.quantile", "0.5")
                        .runtimeOption("spark.speculation.multiplier", "3")
                        .runtimeOption("spark.speculation.minTaskRuntime", "3s");
        spark = SparkRuntime.startSession(options.build());
        wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR);
        store = WeightStore.local().ref(wrapper.storeId());
        System.out.printf(
                "TIMING two-node cluster and session up in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (wrapper != null) {
            wrapper.close();
        }
    }

    @Test
    @Order(1)
    void eachNodeMaterializesOneCopySharedByItsTwoExecutors() throws Exception {
        Path out = dir.resolve("scores");
        long t0 = System.nanoTime();
        run(TestActors::counting, -1, out, "100");
        System.out.printf("TIMING two-node job %.2f s%n", (System.nanoTime() - t0) / 1e9);
        SparkTests.assertScores(out, ROWS);
        SparkTests.assertNoLeftovers(out);
        for (String host : TwoNodeCluster.HOSTS) {
            WeightStore node = WeightStore.at(cluster.storeDir(host));
            assertEquals(List.of(store.id()), stores(host), "one store on " + host);
            // The executors keep their idle actors (and mappings) after the job.
            StoreMemory memory = StoreMemory.measure(store, node);
            System.out.println("MEMORY node " + host + ": " + memory);
            assertEquals(2, memory.processes(), "both executors of " + host + " map its copy");
            assertTrue(
                    memory.mappedPssBytes() * 2 <= memory.mappedRssBytes() * 1.05,
                    "every mapped page is shared by the two executors: " + memory);
            assertEquals(
                    1,
                    cluster.executorLogLines(host, "materialized weight store"),
                    "materialized once on " + host);
        }
    }

    @Test
    @Order(2)
    void aStragglerOvertakenByASpeculativeCopyIsCommittedOnce() throws Exception {
        Path out = dir.resolve("speculated");
        List<String> ends = new CopyOnWriteArrayList<>();
        SparkListener listener =
                new SparkListener() {
                    @Override
                    public void onTaskEnd(SparkListenerTaskEnd event) {
                        if (event.taskInfo().index() == 0 && event.taskInfo().successful()) {
                            release(); // the straggler, once split 0 is done
                        }
                        ends.add(
                                event.taskInfo().index()
                                        + " "
                                        + event.taskInfo().host()
                                        + " speculative="
                                        + event.taskInfo().speculative()
                                        + " "
                                        + event.reason());
                    }
                };
        spark.sparkContext().addSparkListener(listener);
        long t0 = System.nanoTime();
        try {
            run(TestActors::straggling, 0, out, "300");
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<String> split0 = ends.stream().filter(e -> e.startsWith("0 ")).toList();
        System.out.printf("TIMING speculation job %.2f s; split 0 attempts %s%n", seconds, split0);
        assertTrue(Files.exists(dir.resolve("markers/overtaken")), "a copy overtook the straggler");
        assertTrue(
                split0.stream().anyMatch(e -> e.contains("speculative=true") && e.endsWith("Success")),
                "the speculative copy succeeded: " + split0);
        assertTrue(
                split0.stream().anyMatch(e -> e.contains("speculative=false") && !e.endsWith("Success")),
                "the straggler did not: " + split0);
        assertEquals(2, split0.stream().map(e -> e.split(" ")[1]).distinct().count(), "two nodes");
        SparkTests.assertScores(out, ROWS);
        SparkTests.assertNoLeftovers(out);
    }

    @Test
    @Order(3)
    void dataFrameMapBatchesRunsOnBothNodesWithTheirCopies() throws Exception {
        ModelScorer.Config scorer =
                ModelScorer.config(wrapper).inputColumn("features").keepColumns("id").build();
        org.apache.spark.sql.Dataset<Row> df =
                spark.read().parquet(features.toString()).repartition(8);
        StructType schema = DataFrames.outputSchema(df, ModelScorer::new, scorer, 8);
        List<Row> rows =
                DataFrames.mapBatches(df, ModelScorer::new, scorer, 64, ActorPoolStrategy.size(1), schema)
                        .collectAsList();
        SparkTests.assertScores(SparkTests.maps(rows, "score"), ROWS, "score");
        for (String host : TwoNodeCluster.HOSTS) {
            assertEquals(List.of(store.id()), stores(host), "still one store on " + host);
            assertEquals(1, cluster.executorLogLines(host, "materialized weight store"), host);
        }
    }

    @Test
    @Order(4)
    void aLostNodeIsSurvivedAndItsLeftoversCollected() throws Exception {
        String app = spark.sparkContext().applicationId();
        List<Long> victims = TwoNodeCluster.executorPids(app, B);
        assertEquals(2, victims.size(), "two executors on " + B);
        Path survivor = cluster.storeDir(A).resolve(store.id());
        BasicFileAttributes before = Files.readAttributes(survivor, BasicFileAttributes.class);
        AtomicInteger ended = new AtomicInteger();
        AtomicLong killedAt = new AtomicLong();
        List<String> lost = new CopyOnWriteArrayList<>();
        SparkListener killer =
                new SparkListener() {
                    @Override
                    public void onTaskEnd(SparkListenerTaskEnd event) {
                        if (!event.taskInfo().successful()) {
                            lost.add(event.reason().toString());
                        }
                        if (ended.incrementAndGet() == 4) {
                            killedAt.set(System.nanoTime());
                            cluster.worker(B).destroyForcibly();
                            victims.forEach(
                                    pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
                        }
                    }
                };
        spark.sparkContext().addSparkListener(killer);
        Path out = dir.resolve("lost-node");
        long t0 = System.nanoTime();
        try {
            run(TestActors::slow, 40, out, "100");
        } finally {
            spark.sparkContext().removeSparkListener(killer);
        }
        System.out.printf(
                "TIMING lost node: job %.2f s, killed %.2f s in; lost attempts %s%n",
                (System.nanoTime() - t0) / 1e9,
                (killedAt.get() - t0) / 1e9,
                lost);
        assertTrue(killedAt.get() != 0, "the node was killed during the job");
        assertTrue(
                lost.stream().anyMatch(r -> r.contains("ExecutorLostFailure")),
                "attempts were lost with the node: " + lost);
        SparkTests.assertScores(out, ROWS);
        SparkTests.assertNoLeftovers(out);
        BasicFileAttributes after = Files.readAttributes(survivor, BasicFileAttributes.class);
        assertEquals(before.fileKey(), after.fileKey(), "the survivor's store is untouched");
        assertEquals(1, cluster.executorLogLines(A, "materialized weight store"));

        // The dead node's store outlived its executors; `rzc store gc` there collects it.
        assertEquals(List.of(store.id()), stores(B));
        List<Path> collected = WeightStore.at(cluster.storeDir(B)).gc();
        assertEquals(List.of(cluster.storeDir(B).resolve(store.id())), collected);
        assertEquals(List.of(), stores(B), "nothing of the dead node's job is left");
        assertFalse(hasEntries(cluster.storeDir(B), ".tmp-"), "no partial copies");

        // The node comes back: the Master gives the application executors there again.
        cluster.restartWorker(B);
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (executorsAt(B) < 2 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertEquals(2, executorsAt(B), "two new executors on " + B + " registered");
    }

    @Test
    @Order(5)
    void sparkScoreJobOnTheRunningSessionGetsTheStoreToTheNodeThatCameBack() throws Exception {
        Path out = dir.resolve("score-job");
        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            SparkScoreJob.main(
                    new String[] {
                        "--model", Fixtures.path("simple_classifier.pt").toString(),
                        "--input", features.toString(),
                        "--output", out.toString(),
                        "--input-column", "features",
                        "--keep-columns", "id",
                        "--rows-per-split", "300"
                    });
        } finally {
            System.setOut(stdout);
            spark = null; // SparkScoreJob stops the session it ran on
        }
        String last = printed.toString(StandardCharsets.UTF_8).strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("rows=" + ROWS + " errored=0 "), last);
        SparkTests.assertScores(out, ROWS);
        // Once before the node was lost; once more if Spark gave its new executors a task of this
        // job (on a fast machine the other node's executors may take every task): never twice.
        long materialized = cluster.executorLogLines(B, "materialized weight store");
        assertTrue(
                materialized == 1 || materialized == 2,
                "the new executors of " + B + " materialized the store at most once more: "
                        + materialized);
        // The application ended with the job: its executors released their leases, and the last
        // lease on each node removed the node's store.
        long deadline = System.nanoTime() + 30_000_000_000L;
        while ((!stores(A).isEmpty() || !stores(B).isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertEquals(List.of(), stores(A));
        assertEquals(List.of(), stores(B));
    }

    /** Executors at {@code host} registered with the driver. */
    private static long executorsAt(String host) {
        return Stream.of(spark.sparkContext().statusTracker().getExecutorInfos())
                .filter(e -> e.host().equals(host))
                .count();
    }

    private static void release() {
        try {
            Files.writeString(dir.resolve("markers/release"), "");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Runs a scoring job with the {@code actor} test actors over the features into {@code out}. */
    private static void run(
            io.rayzerocopy.ActorFactory<TestActors.Args> actor, long arg, Path out, String split)
            throws IOException {
        Files.createDirectories(dir.resolve("markers"));
        Dataset.readParquet(features.toString())
                .withOptions(
                        SparkTests.options(null)
                                .runtimeOption(SparkRuntime.ROWS_PER_SPLIT, split)
                                // Idle actors (and their leases) outlive the gaps between tests:
                                // a node's store stays, and is materialized once there.
                                .runtimeOption(SparkRuntime.ACTOR_IDLE_SECONDS, "600")
                                .build())
                .mapBatches(
                        actor,
                        new TestActors.Args(
                                ModelScorer.config(wrapper)
                                        .inputColumn("features")
                                        .keepColumns("id")
                                        .build(),
                                dir.resolve("markers").toString(),
                                arg,
                                false),
                        25,
                        ActorPoolStrategy.size(1))
                .writeParquet(out.toString());
    }

    /** The committed stores in the store directory of {@code host}. */
    private static List<String> stores(String host) throws IOException {
        Path root = cluster.storeDir(host);
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return new ArrayList<>(
                    s.map(p -> p.getFileName().toString())
                            .filter(n -> n.startsWith("rzc-"))
                            .sorted()
                            .toList());
        }
    }

    private static boolean hasEntries(Path root, String prefix) throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith(prefix));
        }
    }
}
