package io.rayzerocopy.spark;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.DatasetException;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.Progress;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.WriteResult;
import io.rayzerocopy.internal.model.StoreMemory;
import io.rayzerocopy.internal.model.WeightStore;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.functions;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Datasets and DataFrames on local-cluster[2,1,1024], one session for the class: every task runs
 * our reader, actor pool and writer on its split in an executor JVM, and the driver commits one
 * attempt per split.
 */
class SparkJobTest {
    private static final int FILES = 3;
    private static final int ROWS_PER_FILE = 700;
    private static final int ROWS = FILES * ROWS_PER_FILE;

    @TempDir static Path dir;
    static SparkSession spark;
    static ModelWrapper<Model> wrapper;
    static ModelScorer.Config scorer;
    static Path features;

    @BeforeAll
    static void start() {
        features = SparkTests.writeFeatures(dir.resolve("features"), FILES, ROWS_PER_FILE);
        long t0 = System.nanoTime();
        spark = SparkTests.start(2, Map.of());
        System.out.printf(
                "TIMING session with 2 executors: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR);
        scorer = ModelScorer.config(wrapper).inputColumn("features").keepColumns("id").build();
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

    private static Dataset scoring() {
        return Dataset.readParquet(features.toString())
                .withOptions(SparkTests.options(null).build())
                .mapBatches(ModelScorer::new, scorer, 64, ActorPoolStrategy.size(2));
    }

    @Test
    void scoresEveryRowOnceInTwoExecutorJvmsThatMapOneStore() throws Exception {
        Path out = dir.resolve("scores");
        List<Progress> progress = new CopyOnWriteArrayList<>();
        long t0 = System.nanoTime();
        WriteResult result =
                Dataset.readParquet(features.toString())
                        .withOptions(SparkTests.options(null).progress(progress::add).build())
                        .mapBatches(ModelScorer::new, scorer, 64, ActorPoolStrategy.size(2))
                        .writeParquet(out.toString());
        System.out.printf(
                "TIMING scoring job, %d rows: %.2f s%n%s%n",
                result.rowsWritten(), (System.nanoTime() - t0) / 1e9, result.stats());

        assertEquals(ROWS, result.rowsWritten());
        SparkTests.assertScores(out, ROWS);
        SparkTests.assertNoLeftovers(out);
        assertEquals(ROWS, result.stats().inputRows());
        assertEquals(ROWS, progress.get(progress.size() - 1).rows());
        assertEquals(9, progress.size(), "one report per split of 300 rows: " + progress);
        StoreMemory memory =
                SparkTests.storeMemoryWithoutTheDriver(
                        WeightStore.local().ref(wrapper.storeId()), 2);
        System.out.println("MEMORY after the job: " + memory);
        assertEquals(2, memory.processes(), "both executor JVMs map the store, the driver not");
    }

    @Test
    void executorsKeepTheirActorsAcrossTasksAndJobs() throws Exception {
        Path markers = Files.createDirectories(dir.resolve("counting"));
        TestActors.Args args = new TestActors.Args(scorer, markers);
        for (String name : List.of("counted-1", "counted-2")) {
            Dataset.readParquet(features.toString())
                    .withOptions(SparkTests.options(null).build())
                    .mapBatches(TestActors::counting, args, 64, ActorPoolStrategy.size(2))
                    .writeParquet(dir.resolve(name).toString());
            SparkTests.assertScores(dir.resolve(name), ROWS);
        }
        List<String> constructed = Files.readAllLines(markers.resolve("constructed"));
        assertEquals(
                2,
                constructed.stream().distinct().count(),
                "actors constructed in the two executors: " + constructed);
        assertTrue(
                constructed.size() <= 4,
                "2 actors per executor for 18 tasks, not 2 per task: " + constructed);
    }

    @Test
    void aTaskThatFailsMidSplitIsRetriedAndItsRowsWrittenOnce() throws Exception {
        Path markers = Files.createDirectories(dir.resolve("flaky"));
        TestActors.Args args = new TestActors.Args(scorer, markers.toString(), 1500, false);
        AtomicInteger failedTasks = new AtomicInteger();
        SparkListener failures =
                new SparkListener() {
                    @Override
                    public void onTaskEnd(SparkListenerTaskEnd event) {
                        if (!event.taskInfo().successful()) {
                            failedTasks.incrementAndGet();
                        }
                    }
                };
        spark.sparkContext().addSparkListener(failures);
        Path out = dir.resolve("retried");
        try {
            Dataset.readParquet(features.toString())
                    .withOptions(SparkTests.options(null).build())
                    .mapBatches(TestActors::failing, args, 50, ActorPoolStrategy.size(1))
                    .writeParquet(out.toString());
        } finally {
            spark.sparkContext().removeSparkListener(failures);
        }
        assertTrue(Files.exists(markers.resolve("failed-once")));
        assertEquals(1, failedTasks.get(), "the attempt that met id 1500 failed once");
        SparkTests.assertScores(out, ROWS);
        SparkTests.assertNoLeftovers(out);
    }

    @Test
    void aFailedJobLeavesTheOutputAsItWas() throws Exception {
        Path out = Files.createDirectories(dir.resolve("kept"));
        Files.writeString(out.resolve("earlier.txt"), "an earlier result");
        TestActors.Args args =
                new TestActors.Args(scorer, dir.toString(), 1000, /* always= */ true);
        DatasetException e =
                assertThrows(
                        DatasetException.class,
                        () ->
                                Dataset.readParquet(features.toString())
                                        .withOptions(SparkTests.options(null).build())
                                        .mapBatches(
                                                TestActors::failing,
                                                args,
                                                50,
                                                ActorPoolStrategy.size(1))
                                        .writeParquet(
                                                out.toString(), ParquetWriteOptions.overwrite()));
        assertTrue(e.getMessage().contains("injected failure at id 1000"), e.getMessage());
        assertTrue(e.getMessage().contains("output was not changed"), e.getMessage());
        try (var files = Files.list(out)) {
            assertEquals(List.of(out.resolve("earlier.txt")), files.toList());
        }
        SparkTests.assertNoLeftovers(out);
    }

    @Test
    void whatTheDatasetApiRejectsIsRejectedBeforeAnySparkJob() throws Exception {
        AtomicInteger jobs = new AtomicInteger();
        SparkListener counter =
                new SparkListener() {
                    @Override
                    public void onJobStart(SparkListenerJobStart event) {
                        jobs.incrementAndGet();
                    }
                };
        spark.sparkContext().addSparkListener(counter);
        try {
            Path existing = Files.createDirectories(dir.resolve("existing"));
            Files.writeString(existing.resolve("x"), "x");
            IllegalArgumentException exists =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> scoring().writeParquet(existing.toString()));
            assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());

            IllegalArgumentException inside =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> scoring().writeParquet(features.resolve("out").toString()));
            assertTrue(inside.getMessage().contains("lies inside the input"), inside.getMessage());

            IllegalArgumentException column =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    Dataset.readParquet(features.toString())
                                            .select("id", "feature")
                                            .withOptions(SparkTests.options(null).build())
                                            .mapBatches(
                                                    ModelScorer::new,
                                                    scorer,
                                                    64,
                                                    ActorPoolStrategy.size(1))
                                            .writeParquet(dir.resolve("nope").toString()));
            assertTrue(
                    column.getMessage().contains("'feature' does not exist"), column.getMessage());

            IllegalArgumentException items =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    Dataset.range(10)
                                            .withOptions(SparkTests.options(null).build())
                                            .writeParquet(dir.resolve("range").toString()));
            assertTrue(items.getMessage().contains("reads Parquet files"), items.getMessage());
        } finally {
            spark.sparkContext().removeSparkListener(counter);
        }
        assertEquals(0, jobs.get(), "no Spark job was submitted");
        assertFalse(Files.exists(dir.resolve("nope")));
    }

    @Test
    void takeCountAndIterBatchesRunOnTheCluster() {
        List<Map<String, Object>> rows = scoring().take(Integer.MAX_VALUE);
        SparkTests.assertScores(rows, ROWS, "score");
        assertEquals(ROWS, scoring().count());
        assertEquals(5, scoring().take(5).size());
        assertEquals(
                List.of("id", "score"),
                scoring().schema().getFields().stream().map(f -> f.getName()).toList());
    }

    @Test
    void dataFrameMapBatchesAndTheTransformerGiveTheReferenceScores() {
        org.apache.spark.sql.Dataset<Row> df = spark.read().parquet(features.toString());
        StructType schema = DataFrames.outputSchema(df, ModelScorer::new, scorer, 8);
        assertEquals("struct<id:bigint,score:array<float>>", schema.simpleString());
        List<Row> mapped =
                DataFrames.mapBatches(
                                df, ModelScorer::new, scorer, 64, ActorPoolStrategy.size(2), schema)
                        .collectAsList();
        SparkTests.assertScores(SparkTests.maps(mapped, "score"), ROWS, "score");

        org.apache.spark.sql.Dataset<Row> withVectors =
                df.withColumn("label", col("id").cast("string"))
                        .withColumn("vec", functions.array_to_vector(col("features")));
        TorchScriptTransformer transformer =
                new TorchScriptTransformer()
                        .setModelPath(Fixtures.path("simple_classifier.pt").toString())
                        .setInputCol("vec")
                        .setOutputCol("scores")
                        .setBatchSize(100);
        SQLTransformer parity =
                new SQLTransformer().setStatement("SELECT *, id % 2 AS parity FROM __THIS__");
        org.apache.spark.sql.Dataset<Row> out =
                new Pipeline()
                        .setStages(new PipelineStage[] {parity, transformer})
                        .fit(withVectors)
                        .transform(withVectors);
        assertEquals(
                List.of("id", "features", "label", "vec", "parity", "scores"),
                List.of(out.schema().fieldNames()));
        List<Row> transformed = out.collectAsList();
        for (Row r : transformed) {
            assertEquals(String.valueOf(r.getLong(0)), r.getString(2));
            assertEquals(r.getLong(0) % 2, r.getLong(4));
        }
        SparkTests.assertScores(SparkTests.maps(transformed, "scores"), ROWS, "scores");
        assertEquals(5, transformer.params().length, "params found by reflection");
        assertEquals(
                transformer.uid(),
                transformer.copy(new org.apache.spark.ml.param.ParamMap()).uid());
    }
}
