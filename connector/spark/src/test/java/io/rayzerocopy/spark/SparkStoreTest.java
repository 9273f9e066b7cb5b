package io.rayzerocopy.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.TestBlocks;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.internal.model.StoreMemory;
import io.rayzerocopy.internal.model.StoreRef;
import io.rayzerocopy.internal.model.WeightStore;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One weight copy per machine on local-cluster[2,1,1024]: both executor JVMs map the driver's store
 * and its PSS adds up to one copy; a machine without the store materializes it once from
 * SparkContext.addFile copies; stopping the application releases the executors' leases, and the
 * last lease removes the store.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkStoreTest {
    private static final int HIDDEN = 131_072;
    private static final int ROWS = 1000;

    @TempDir static Path dir;
    static SparkSession spark;
    static Path features;
    static Model wide;
    static ModelWrapper<Model> wideWrapper;
    static StoreRef materialized;

    @BeforeAll
    static void start() {
        features = SparkTests.writeFeatures(dir.resolve("features"), 2, ROWS / 2);
        spark =
                SparkTests.start(
                        2,
                        Map.of(
                                "spark.plugins",
                                RzcSparkPlugin.class.getName()
                                        + ","
                                        + RecordingPlugin.class.getName(),
                                RecordingPlugin.MARKERS,
                                dir.resolve("markers").toString()));
        wide = Model.newInstance("wide", Device.cpu(), "PyTorch");
        wide.setBlock(TestBlocks.mlp(HIDDEN, 10));
        wide.getBlock()
                .initialize(wide.getNDManager(), DataType.FLOAT32, new Shape(1, TestBlocks.INPUTS));
        wideWrapper =
                ModelWrapper.fromModel(
                        BlockModel.of(() -> TestBlocks.mlp(HIDDEN, 10), wide), Mode.ACTOR);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (wideWrapper != null) {
            wideWrapper.close();
        }
        if (wide != null) {
            wide.close();
        }
    }

    @Test
    @Order(1)
    void bothExecutorsMapOneCopyOfTheWeights() throws Exception {
        Path out = dir.resolve("wide-scores");
        Dataset.readParquet(features.toString())
                .withOptions(SparkTests.options(null).build())
                .mapBatches(
                        ModelScorer::new,
                        ModelScorer.config(wideWrapper)
                                .inputColumn("features")
                                .keepColumns("id")
                                .build(),
                        100,
                        ActorPoolStrategy.size(1))
                .writeParquet(out.toString());
        assertScoresOfWide(out);

        StoreRef store = WeightStore.local().ref(wideWrapper.storeId());
        StoreMemory memory = SparkTests.storeMemoryWithoutTheDriver(store, 2);
        System.out.println("MEMORY wide model on 2 executors: " + memory);
        assertEquals(2, memory.processes(), "both executors map the store");
        long storeBytes = store.shardSizes().stream().mapToLong(Long::longValue).sum();
        assertTrue(
                memory.mappedRssBytes() > 1.8 * storeBytes,
                "each executor touched every weight: " + memory);
        assertTrue(memory.copies() < 1.1, "the weights are counted once: " + memory);
    }

    @Test
    @Order(2)
    void aMachineWithoutTheStoreMaterializesItOnceFromSparkFiles() throws Exception {
        ModelWrapper<Model> published;
        try (ModelWrapper<Model> local =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR)) {
            published = SparkRuntime.publish(spark.sparkContext(), local);
            materialized = WeightStore.local().ref(local.storeId());
        }
        assertFalse(
                Files.exists(WeightStore.local().directory(materialized)),
                "the driver held the only lease: this machine no longer has the store");

        Path out = dir.resolve("materialized");
        Dataset.readParquet(features.toString())
                .withOptions(SparkTests.options(null).build())
                .mapBatches(
                        ModelScorer::new,
                        ModelScorer.config(published)
                                .inputColumn("features")
                                .keepColumns("id")
                                .build(),
                        64,
                        ActorPoolStrategy.size(1))
                .writeParquet(out.toString());
        SparkTests.assertScores(out, ROWS);
        assertTrue(
                Files.isDirectory(WeightStore.local().directory(materialized)),
                "an executor materialized it");
        assertEquals(
                1,
                executorLogLines(
                        "materialized weight store " + WeightStore.local().directory(materialized)),
                "materialized once on this machine");
        assertEquals(2, StoreMemory.measure(materialized).processes());
    }

    @Test
    @Order(3)
    void stoppingTheApplicationReleasesTheExecutorsLeases() throws Exception {
        String app = spark.sparkContext().applicationId();
        List<Long> pids = SparkTests.executorPids(app);
        assertEquals(2, pids.size());
        assertEquals(2, leaseHolders(materialized).size(), "both executors hold a lease");
        long t0 = System.nanoTime();
        spark.stop();
        spark = null;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (pids.stream().anyMatch(p -> ProcessHandle.of(p).isPresent())
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        System.out.printf(
                "TIMING executors exited %.2f s after spark.stop()%n",
                (System.nanoTime() - t0) / 1e9);
        assertEquals(List.of(), leaseHolders(materialized));
        assertFalse(
                Files.exists(WeightStore.local().directory(materialized)),
                "the executors held the last leases: the store is gone with them");
        // When an application ends, the standalone Master also tells each Worker to kill its
        // executors, racing the driver's shutdown command: an executor may get SIGTERM before its
        // plugins' shutdown runs (seen on an idle machine). Its leases are then collected as those
        // of a dead process (asserted above); an executor whose plugins did run closed every actor.
        int recorded = 0;
        for (long pid : pids) {
            Path markerFile = dir.resolve("markers").resolve(String.valueOf(pid));
            if (!Files.exists(markerFile)) {
                System.out.println("PLUGIN " + pid + ": killed before its plugins' shutdown ran");
                continue;
            }
            String marker = Files.readString(markerFile);
            System.out.println("PLUGIN " + pid + ": " + marker);
            assertTrue(
                    marker.matches("constructed [1-9]\\d*, live 0"),
                    "RzcSparkPlugin closed every actor of executor " + pid + ": " + marker);
            recorded++;
        }
        System.out.println("PLUGIN shutdown ran in " + recorded + " of " + pids.size() + " executors");
    }

    /** The pids holding a lease on {@code store}. */
    private static List<String> leaseHolders(StoreRef store) throws Exception {
        Path leases = WeightStore.local().root().resolve("leases").resolve(store.id());
        if (!Files.isDirectory(leases)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(leases)) {
            return s.map(p -> p.getFileName().toString().split("-")[0]).sorted().toList();
        }
    }

    /** Lines containing {@code text} in the stderr logs of the application's executors. */
    private static long executorLogLines(String text) throws Exception {
        Path work =
                Path.of(System.getenv("SPARK_HOME"), "work", spark.sparkContext().applicationId());
        long count = 0;
        try (Stream<Path> logs = Files.walk(work)) {
            for (Path log :
                    logs.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
                count += Files.readAllLines(log).stream().filter(l -> l.contains(text)).count();
            }
        }
        return count;
    }

    /** The first rows' scores equal the driver's own prediction with the trained model. */
    private static void assertScoresOfWide(Path out) throws Exception {
        List<Map<String, Object>> rows = Dataset.readParquet(out.toString()).take(ROWS);
        assertEquals(ROWS, rows.stream().map(r -> r.get("id")).distinct().count());
        float[][] input = Fixtures.ref("simple_classifier", "input");
        try (Predictor<NDList, NDList> p = wide.newPredictor(new NoopTranslator());
                NDManager m = NDManager.newBaseManager()) {
            for (Map<String, Object> row : rows.subList(0, 20)) {
                long id = (Long) row.get("id");
                float[] x = input[(int) (id % input.length)];
                float[] expected =
                        p.predict(new NDList(m.create(x, new Shape(1, x.length))))
                                .singletonOrThrow()
                                .toFloatArray();
                List<?> got = (List<?>) row.get("score");
                for (int j = 0; j < expected.length; j++) {
                    assertEquals(
                            expected[j], ((Number) got.get(j)).floatValue(), 1e-4, "row " + id);
                }
            }
        }
    }
}
