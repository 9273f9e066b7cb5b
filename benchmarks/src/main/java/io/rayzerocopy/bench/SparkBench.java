package io.rayzerocopy.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.spark.DataFrames;
import io.rayzerocopy.spark.SparkRuntime;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The Spark harnesses, on {@code local-cluster} (real executor JVMs on this machine):
 *
 * <ul>
 *   <li>{@link #memory}: N executors each holding a generated TorchScript MLP, loaded the way DJL's
 *       Spark extension does (each executor its own copy) and zero-copy; the summed PSS of the
 *       executor JVMs while all hold the model, against executors that only started the engine.
 *   <li>{@link #throughput}: Parquet to Parquet in one session, alternating our job (splits as
 *       tasks, Arrow batches through actors kept across tasks), ours over a DataFrame ({@code
 *       DataFrames.mapBatches}, rows converted) and a DJL-Spark-style job (a DataFrame's {@code
 *       mapPartitions} loading the model per partition and calling {@code Predictor.batchPredict}
 *       on small batches of rows); medians, and each task's time to its first batch.
 * </ul>
 *
 * Needs python3-torch (tools/make_big_model.py writes the models). Run through {@code ./rzc bench
 * spark-memory} and {@code ./rzc bench spark-throughput}.
 */
public final class SparkBench {
    private static final int INPUTS = 128;

    /** A classifier's scores per row. */
    private static final int OUTPUTS = 10;

    private static final String BASELINE_FIRST_BATCH = "baseline ms to first batch";

    private SparkBench() {}

    /**
     * Memory of {@code executors} (each count a session of its own) executor JVMs over a model of
     * about {@code modelMb} MB. Prints one line per count: {@code executors=<n> model_mb=<s>
     * engine_only_pss_mb=<b> djl_spark_pss_mb=<x> zerocopy_pss_mb=<y> ratio=<x/y>}.
     */
    public static String memory(List<Integer> executors, int modelMb) throws Exception {
        int layers = BenchModels.layersFor(modelMb);
        Path work = Files.createTempDirectory("rzc-spark-memory");
        StringBuilder lines = new StringBuilder();
        try {
            Path pt = BenchModels.torchScript(layers, work.resolve("ts"), repo());
            long mb = Files.size(pt) >> 20;
            try (ModelWrapper<Model> wrapper =
                    ModelWrapper.fromModel(TorchScriptModel.fromFile(pt), Mode.ACTOR)) {
                for (int n : executors) {
                    long engine = holdModels(n, new Load("engine", null, null), work);
                    long naive = holdModels(n, new Load("djl", pt.toString(), null), work);
                    long zero = holdModels(n, new Load("zerocopy", null, wrapper), work);
                    String line =
                            String.format(
                                    Locale.ROOT,
                                    "executors=%d model_mb=%d engine_only_pss_mb=%d"
                                            + " djl_spark_pss_mb=%d zerocopy_pss_mb=%d ratio=%.2f",
                                    n,
                                    mb,
                                    engine >> 10,
                                    naive >> 10,
                                    zero >> 10,
                                    (double) naive / zero);
                    System.out.println(line);
                    lines.append(line).append('\n');
                }
            }
        } finally {
            BenchFiles.deleteTree(work);
        }
        return lines.toString().strip();
    }

    /**
     * Starts a session of {@code n} one-core executors, runs one task per executor that loads the
     * model as {@code load} says and holds it, and returns the executors' summed PSS in KB while
     * every one holds it.
     */
    private static long holdModels(int n, Load load, Path work) throws Exception {
        Path markers = Files.createTempDirectory(work, "markers");
        SparkSession spark =
                SparkRuntime.startSession(
                        ExecutionOptions.builder()
                                .runtime(RuntimeNames.SPARK)
                                .runtimeOption(
                                        SparkRuntime.MASTER, "local-cluster[" + n + ",1,2048]")
                                .runtimeOption("spark.executor.memory", "1g")
                                .build());
        try {
            Load task = load.at(markers.toString());
            CompletableFuture<List<String>> job =
                    CompletableFuture.supplyAsync(
                            () ->
                                    JavaSparkContext.fromSparkContext(spark.sparkContext())
                                            .parallelize(IntStream.range(0, n).boxed().toList(), n)
                                            .mapPartitions(task)
                                            .collect());
            long deadline = System.nanoTime() + 600_000_000_000L;
            List<Path> ready = List.of();
            while (ready.size() < n && !job.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(200);
                try (Stream<Path> files = Files.list(markers)) {
                    ready =
                            files.filter(p -> p.getFileName().toString().startsWith("ready-"))
                                    .toList();
                }
            }
            if (ready.size() < n) {
                job.join();
                throw new IllegalStateException(
                        "only " + ready.size() + " of " + n + " executors loaded the model");
            }
            Thread.sleep(1000);
            long pss = 0;
            List<String> loads = new ArrayList<>();
            for (Path marker : ready) {
                String[] parts = marker.getFileName().toString().split("-");
                pss += ProcMemory.pssKb(Long.parseLong(parts[1]));
                loads.add(parts[2] + " ms");
            }
            System.out.printf(
                    "  %d executors, %s: summed PSS %d MB; load times %s%n",
                    n, load.mode(), pss >> 10, loads);
            Files.createFile(markers.resolve("release"));
            job.join();
            return pss;
        } finally {
            spark.stop();
        }
    }

    /** One executor's task of the memory harness: load, touch every weight, hold. */
    private record Load(String mode, String pt, ModelWrapper<Model> wrapper, String markers)
            implements FlatMapFunction<java.util.Iterator<Integer>, String> {
        Load(String mode, String pt, ModelWrapper<Model> wrapper) {
            this(mode, pt, wrapper, null);
        }

        Load at(String dir) {
            return new Load(mode, pt, wrapper, dir);
        }

        @Override
        public java.util.Iterator<String> call(java.util.Iterator<Integer> ignored)
                throws Exception {
            Engine.getEngine("PyTorch");
            long start = System.nanoTime();
            Model model =
                    switch (mode) {
                        case "djl" -> {
                            Model m = Model.newInstance("mlp", Device.cpu(), "PyTorch");
                            m.load(Paths.get(pt));
                            yield m;
                        }
                        case "zerocopy" -> wrapper.load();
                        default -> null;
                    };
            long loadMs = (System.nanoTime() - start) / 1_000_000;
            if (model != null) {
                try (NDManager manager = NDManager.newBaseManager()) {
                    model.getBlock()
                            .forward(
                                    new ParameterStore(manager, false),
                                    new NDList(manager.ones(new Shape(1, BenchModels.WIDTH))),
                                    false);
                }
            }
            long pid = ProcessHandle.current().pid();
            Files.createFile(Paths.get(markers).resolve("ready-" + pid + "-" + loadMs));
            long deadline = System.nanoTime() + 600_000_000_000L;
            while (!Files.exists(Paths.get(markers).resolve("release"))
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            if (model != null) {
                model.close();
            }
            return List.of(pid + " " + loadMs).iterator();
        }
    }

    /**
     * Throughput on {@code executors} one-core executors: {@code rows} rows of 128 features in
     * {@code partitions} files, an MLP 128 -> {@code width} x {@code layers} -> 10; our job at
     * {@code batchSize} rows per call, one actor per task, against the DJL-Spark-style job at
     * {@code baselineBatch} rows per {@code batchPredict}; {@code reps} runs of each, alternating,
     * after one warm-up run of each. Prints {@code rows=<n> ours_s=<median> djl_spark_s=<median>
     * speedup=<x> ours_first_batch_ms=<median> djl_spark_first_batch_ms=<median>}.
     */
    public static String throughput(
            int executors,
            long rows,
            int width,
            int layers,
            int partitions,
            int batchSize,
            int baselineBatch,
            int reps)
            throws Exception {
        Path work = Files.createTempDirectory("rzc-spark-throughput");
        Map<String, List<Long>> firstBatch = new ConcurrentHashMap<>();
        try {
            Path features = work.resolve("features");
            Dataset.range(rows)
                    .mapBatches(DatasetThroughput::randomFeatures, 8192)
                    .writeParquet(
                            features.toString(),
                            ParquetWriteOptions.builder()
                                    .rowsPerFile((rows + partitions - 1) / partitions)
                                    .build());
            Path pt =
                    BenchModels.torchScript(
                            INPUTS, width, OUTPUTS, layers, work.resolve("ts"), repo());
            System.out.printf(
                    "model: MLP %d -> %d x %d layers -> %d, %.1f MB; %,d rows in %d files%n",
                    INPUTS, width, layers, OUTPUTS, Files.size(pt) / 1048576.0, rows, partitions);
            ExecutionOptions options =
                    ExecutionOptions.builder()
                            .runtime(RuntimeNames.SPARK)
                            .runtimeOption(
                                    SparkRuntime.MASTER, "local-cluster[" + executors + ",1,2048]")
                            .runtimeOption("spark.executor.memory", "1g")
                            .runtimeOption(SparkRuntime.ROWS_PER_SPLIT, String.valueOf(rows))
                            // Each run loads the model again (once per executor): actors idle
                            // longer than 2 s are closed, and runs are 3 s apart.
                            .runtimeOption(SparkRuntime.ACTOR_IDLE_SECONDS, "2")
                            .build();
            SparkSession spark = SparkRuntime.startSession(options);
            spark.sparkContext().addSparkListener(new FirstBatches(firstBatch));
            List<Double> ours = new ArrayList<>();
            List<Double> frames = new ArrayList<>();
            List<Double> tuned = new ArrayList<>();
            List<Double> djl = new ArrayList<>();
            try (ModelWrapper<Model> wrapper =
                    ModelWrapper.fromModel(TorchScriptModel.fromFile(pt), Mode.ACTOR)) {
                ModelScorer.Config scorer =
                        ModelScorer.config(wrapper)
                                .inputColumn("features")
                                .keepColumns("id")
                                .build();
                for (int rep = -1; rep < reps; rep++) {
                    Path outOurs = work.resolve("ours");
                    long t0 = System.nanoTime();
                    Dataset.readParquet(features.toString())
                            .withOptions(options)
                            .mapBatches(
                                    ModelScorer::new, scorer, batchSize, ActorPoolStrategy.size(1))
                            .writeParquet(outOurs.toString(), ParquetWriteOptions.overwrite());
                    double oursSeconds = (System.nanoTime() - t0) / 1e9;
                    Thread.sleep(3000);
                    t0 = System.nanoTime();
                    dataFrame(spark, features, work.resolve("frame"), scorer, batchSize);
                    double frameSeconds = (System.nanoTime() - t0) / 1e9;
                    Thread.sleep(3000);
                    Path outTuned = work.resolve("tuned");
                    t0 = System.nanoTime();
                    djlSparkTuned(spark, features, outTuned, pt, batchSize);
                    double tunedSeconds = (System.nanoTime() - t0) / 1e9;
                    Thread.sleep(3000);
                    Path outDjl = work.resolve("djl");
                    t0 = System.nanoTime();
                    djlSparkStyle(spark, features, outDjl, pt, baselineBatch);
                    double djlSeconds = (System.nanoTime() - t0) / 1e9;
                    Thread.sleep(3000);
                    System.out.printf(
                            "  %s: ours %.2f s, ours over a DataFrame %.2f s, DJL-Spark tuned %.2f"
                                    + " s, DJL-Spark default %.2f s (load %s)%n",
                            rep < 0 ? "warm-up" : "run " + (rep + 1),
                            oursSeconds,
                            frameSeconds,
                            tunedSeconds,
                            djlSeconds,
                            PipelineBench.load());
                    if (rep < 0) {
                        firstBatch.clear();
                        checkSameScores(outOurs, outDjl, rows);
                        checkSameScores(outOurs, outTuned, rows);
                    } else {
                        ours.add(oursSeconds);
                        frames.add(frameSeconds);
                        tuned.add(tunedSeconds);
                        djl.add(djlSeconds);
                    }
                }
            } finally {
                spark.stop();
            }
            String line =
                    String.format(
                            Locale.ROOT,
                            "rows=%d ours_s=%.2f dataframe_s=%.2f djl_spark_tuned_s=%.2f"
                                    + " djl_spark_s=%.2f speedup_vs_tuned=%.1f speedup=%.1f"
                                    + " ours_first_batch_ms=%d djl_spark_first_batch_ms=%d",
                            rows,
                            median(ours),
                            median(frames),
                            median(tuned),
                            median(djl),
                            median(tuned) / median(ours),
                            median(djl) / median(ours),
                            medianLong(firstBatch.get(SparkRuntime.FIRST_BATCH_MILLIS)),
                            medianLong(firstBatch.get(BASELINE_FIRST_BATCH)));
            System.out.println(line);
            return line;
        } finally {
            BenchFiles.deleteTree(work);
        }
    }

    /**
     * Ours over a DataFrame: {@code DataFrames.mapBatches} (rows to Arrow and back) between Spark's
     * own Parquet reader and writer.
     */
    private static void dataFrame(
            SparkSession spark, Path features, Path out, ModelScorer.Config scorer, int batch) {
        StructType schema =
                new StructType()
                        .add("id", DataTypes.LongType, false)
                        .add("score", DataTypes.createArrayType(DataTypes.FloatType, false), false);
        DataFrames.mapBatches(
                        spark.read().parquet(features.toString()),
                        ModelScorer::new,
                        scorer,
                        batch,
                        ActorPoolStrategy.size(1),
                        schema)
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(out.toString());
    }

    /**
     * The way DJL's Spark extension scores: Spark reads the Parquet as rows; each partition loads
     * the model from its file and calls {@code batchPredict} on batches of {@code batch} rows;
     * Spark writes the rows.
     */
    private static void djlSparkStyle(
            SparkSession spark, Path features, Path out, Path pt, int batch) {
        StructType schema =
                new StructType()
                        .add("id", DataTypes.LongType, false)
                        .add("score", DataTypes.createArrayType(DataTypes.FloatType, false), false);
        LongAccumulator first = spark.sparkContext().longAccumulator(BASELINE_FIRST_BATCH);
        spark.read()
                .parquet(features.toString())
                .mapPartitions(new DjlPartition(pt.toString(), batch, first), Encoders.row(schema))
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(out.toString());
    }

    /**
     * The DJL-Spark job as a user who read DJL's advice writes it (djl#3079): the model loaded once
     * per executor into a static cache and kept, a {@code Predictor} per partition, {@code
     * batchPredict} on {@code batch} rows stacked into one forward (the batch size ours uses).
     */
    private static void djlSparkTuned(
            SparkSession spark, Path features, Path out, Path pt, int batch) {
        StructType schema =
                new StructType()
                        .add("id", DataTypes.LongType, false)
                        .add("score", DataTypes.createArrayType(DataTypes.FloatType, false), false);
        spark.read()
                .parquet(features.toString())
                .mapPartitions(new TunedPartition(pt.toString(), batch), Encoders.row(schema))
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(out.toString());
    }

    /** The executor's models of the tuned job, loaded once per executor JVM and kept. */
    private static final class ExecutorModels {
        private static final Map<String, Model> LOADED = new ConcurrentHashMap<>();

        private ExecutorModels() {}

        static Model get(String pt) {
            return LOADED.computeIfAbsent(
                    pt,
                    path -> {
                        Model model = Model.newInstance("mlp", Device.cpu(), "PyTorch");
                        try {
                            model.load(Paths.get(path));
                        } catch (IOException | ai.djl.MalformedModelException e) {
                            model.close();
                            throw new IllegalStateException("cannot load " + path + ": " + e, e);
                        }
                        return model;
                    });
        }
    }

    /** One partition of the tuned DJL-Spark job: the cached model, batches of {@code batch}. */
    private record TunedPartition(String pt, int batch) implements MapPartitionsFunction<Row, Row> {
        @Override
        public java.util.Iterator<Row> call(java.util.Iterator<Row> rows) throws Exception {
            try (Predictor<float[], float[]> predictor =
                    ExecutorModels.get(pt).newPredictor(new FloatRows())) {
                return scoreRows(rows, predictor, batch, () -> {}).iterator();
            }
        }
    }

    /**
     * A partition's rows scored {@code batch} at a time through {@code batchPredict}, as {@code
     * (id, score)} rows; {@code firstBatch} runs once the first batch is scored.
     */
    private static List<Row> scoreRows(
            java.util.Iterator<Row> rows,
            Predictor<float[], float[]> predictor,
            int batch,
            Runnable firstBatch)
            throws ai.djl.translate.TranslateException {
        List<Row> out = new ArrayList<>();
        List<Long> ids = new ArrayList<>(batch);
        List<float[]> inputs = new ArrayList<>(batch);
        while (rows.hasNext()) {
            Row row = rows.next();
            ids.add(row.getLong(row.fieldIndex("id")));
            List<Float> values = row.getList(row.fieldIndex("features"));
            float[] x = new float[values.size()];
            for (int j = 0; j < x.length; j++) {
                x[j] = values.get(j);
            }
            inputs.add(x);
            if (inputs.size() == batch || !rows.hasNext()) {
                List<float[]> scores = predictor.batchPredict(inputs);
                if (out.isEmpty()) {
                    firstBatch.run();
                }
                for (int i = 0; i < scores.size(); i++) {
                    out.add(RowFactory.create(ids.get(i), scores.get(i)));
                }
                ids.clear();
                inputs.clear();
            }
        }
        return out;
    }

    /** One partition of the DJL-Spark-style job. */
    private record DjlPartition(String pt, int batch, LongAccumulator firstBatchMillis)
            implements MapPartitionsFunction<Row, Row> {
        @Override
        public java.util.Iterator<Row> call(java.util.Iterator<Row> rows) throws Exception {
            long start = System.nanoTime();
            try (Model model = Model.newInstance("mlp", Device.cpu(), "PyTorch")) {
                model.load(Paths.get(pt));
                try (Predictor<float[], float[]> predictor = model.newPredictor(new FloatRows())) {
                    return scoreRows(
                                    rows,
                                    predictor,
                                    batch,
                                    () ->
                                            firstBatchMillis.add(
                                                    (System.nanoTime() - start) / 1_000_000))
                            .iterator();
                }
            }
        }
    }

    /** Collects the per-task values of the first-batch accumulators. */
    private static final class FirstBatches extends SparkListener {
        private final Map<String, List<Long>> values;

        FirstBatches(Map<String, List<Long>> values) {
            this.values = values;
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd event) {
            for (AccumulableInfo acc :
                    scala.jdk.javaapi.CollectionConverters.asJava(
                            event.taskInfo().accumulables())) {
                String name = acc.name().isDefined() ? acc.name().get() : "";
                if ((name.equals(SparkRuntime.FIRST_BATCH_MILLIS)
                                || name.equals(BASELINE_FIRST_BATCH))
                        && acc.update().isDefined()) {
                    values.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>())
                            .add(((Number) acc.update().get()).longValue());
                }
            }
        }
    }

    /** Both jobs wrote every row, with the same scores (the first thousand compared). */
    private static void checkSameScores(Path ours, Path djl, long rows) {
        List<Map<String, Object>> a = Dataset.readParquet(ours.toString()).take((int) rows);
        List<Map<String, Object>> b = Dataset.readParquet(djl.toString()).take((int) rows);
        if (a.size() != rows || b.size() != rows) {
            throw new IllegalStateException("rows: ours " + a.size() + ", DJL " + b.size());
        }
        Map<Object, Object> byId = new ConcurrentHashMap<>();
        b.forEach(r -> byId.put(r.get("id"), r.get("score")));
        double max = Scores.maxDifference(a.subList(0, Math.min(1000, a.size())), byId, "score");
        System.out.printf("  check: both wrote %,d rows; max score difference %.1e%n", rows, max);
        if (max > 1e-3) {
            throw new IllegalStateException("the two jobs disagree: " + max);
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static long medianLong(List<Long> values) {
        if (values == null || values.isEmpty()) {
            return -1;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static Path repo() {
        return Paths.get(System.getProperty("rzc.repo", "."));
    }
}
