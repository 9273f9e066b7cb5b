package io.rayzerocopy.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ParquetWriteOptions;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Ours against the one-machine job a Java user writes without us: parquet-mr's {@code
 * ParquetReader} (the example {@code Group} API) → a DJL {@code Predictor} per thread ({@code
 * batchPredict} with a stacking batchifier, the job's batch size), each thread with its own copy of
 * the model loaded by DJL → a {@code ParquetWriter} per input file (snappy); N threads take the
 * input files from one queue. Ours: the same files, {@link ModelScorer} with N actors on the
 * threads runtime (one copy of the weights, mapped). Each run is a child JVM of its own, started
 * from the model's saved parameters; its rows/s run from the child's start of work (model load
 * included) to its output being complete, and its PSS is sampled every 100 ms (the peak is
 * reported). The two take turns, and each figure is the median of {@code reps} runs.
 *
 * <p>Models: {@code small} and {@code heavy} ({@link ScoringModel}, on the demo schema) and {@code
 * large} (a {@link BenchModels} MLP of about {@code largeMb} MB taking 2,048 features).
 */
public final class HandWrittenBench {
    private static final MessageType SCORES =
            MessageTypeParser.parseMessageType(
                    "message scores { required int64 id; required group scores (LIST) {"
                            + " repeated group list { required float element; } } }");

    private HandWrittenBench() {}

    /** What a side needs to build the model's block; the same in the parent and the children. */
    record Kind(String name, int inputs, int layers) {
        static Kind of(String name, int largeMb) {
            return switch (name) {
                case "small", "heavy" -> new Kind(name, ScoringModel.INPUTS, 0);
                case "large" -> new Kind(name, BenchModels.WIDTH, BenchModels.layersFor(largeMb));
                default -> throw new IllegalArgumentException("small, heavy or large: " + name);
            };
        }

        Block block() {
            return layers > 0
                    ? BenchModels.build(layers)
                    : ScoringModel.valueOf(name.toUpperCase(Locale.ROOT)).block();
        }

        BlockModel.Factory factory() {
            int n = layers;
            String model = name;
            return () -> new Kind(model, 0, n).block();
        }

        String spec() {
            return name + ":" + inputs + ":" + layers;
        }

        static Kind parse(String spec) {
            String[] p = spec.split(":");
            return new Kind(p[0], Integer.parseInt(p[1]), Integer.parseInt(p[2]));
        }
    }

    /** One child run: rows/s and the peak PSS of the child in MB. */
    record Result(double rowsPerSecond, long peakPssMb) {}

    /**
     * For each of {@code actors}: ours and the hand-written job, {@code reps} runs each, taking
     * turns. Prints one line per count and returns them.
     */
    public static String run(List<Integer> actors, long rows, String model, int largeMb, int reps)
            throws Exception {
        Kind kind = Kind.of(model, largeMb);
        Path work = Files.createTempDirectory("rzc-handwritten");
        StringBuilder lines = new StringBuilder();
        try {
            Path input = work.resolve("features");
            if (kind.layers() > 0) {
                BenchModels.features(input, rows);
            } else {
                DatasetThroughput.generate(input, rows, Math.max(1, rows / 8));
            }
            Path modelDir = work.resolve("model");
            try (Model trained = Model.newInstance(kind.name(), Device.cpu(), "PyTorch")) {
                trained.setBlock(kind.block());
                trained.getBlock()
                        .initialize(
                                trained.getNDManager(),
                                DataType.FLOAT32,
                                new Shape(1, kind.inputs()));
                BenchModels.saveParams(trained, modelDir);
            }
            for (int n : actors) {
                List<Result> ours = new ArrayList<>();
                List<Result> theirs = new ArrayList<>();
                for (int rep = 0; rep < reps; rep++) {
                    ours.add(child("ours", kind, modelDir, input, work.resolve("ours"), n));
                    theirs.add(child("djl", kind, modelDir, input, work.resolve("djl"), n));
                    if (rep == 0) {
                        checkSameScores(work.resolve("ours"), work.resolve("djl"));
                    }
                }
                String line = line(kind, rows, n, median(ours), median(theirs));
                System.out.println(line);
                lines.append(line).append('\n');
            }
        } finally {
            BenchFiles.deleteTree(work);
        }
        return lines.toString().strip();
    }

    private static String line(Kind kind, long rows, int n, Result ours, Result theirs) {
        return String.format(
                Locale.ROOT,
                "handwritten model=%s rows=%d actors=%d ours_rows_s=%.0f handwritten_rows_s=%.0f"
                        + " speedup=%.2f ours_pss_mb=%d handwritten_pss_mb=%d memory_ratio=%.2f"
                        + " load=%s",
                kind.name(),
                rows,
                n,
                ours.rowsPerSecond(),
                theirs.rowsPerSecond(),
                ours.rowsPerSecond() / theirs.rowsPerSecond(),
                ours.peakPssMb(),
                theirs.peakPssMb(),
                (double) theirs.peakPssMb() / ours.peakPssMb(),
                PipelineBench.load());
    }

    /** Runs one side in a child JVM; its rows/s (from its own output) and peak PSS. */
    private static Result child(String side, Kind kind, Path modelDir, Path in, Path out, int n)
            throws Exception {
        BenchFiles.deleteTree(out);
        Process p =
                ChildJvm.start(
                        HandWrittenBench.class.getName(),
                        List.of("-Xmx2g"),
                        List.of(
                                side,
                                kind.spec(),
                                modelDir.toString(),
                                in.toString(),
                                out.toString(),
                                Integer.toString(n)));
        long peak = 0;
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Thread reader =
                new Thread(
                        () -> {
                            try (BufferedReader r =
                                    new BufferedReader(
                                            new InputStreamReader(
                                                    p.getInputStream(), StandardCharsets.UTF_8))) {
                                r.lines().forEach(lines::add);
                            } catch (IOException e) {
                                lines.add("error " + e);
                            }
                        });
        reader.start();
        while (p.isAlive()) {
            try {
                peak = Math.max(peak, ProcMemory.pssKb(p.pid()));
            } catch (IOException ended) {
                // Exited between isAlive and the read.
            }
            Thread.sleep(100);
        }
        reader.join();
        String result =
                lines.stream().filter(l -> l.startsWith("rows_per_s=")).findFirst().orElse(null);
        if (p.exitValue() != 0 || result == null) {
            throw new IllegalStateException(side + " failed (exit " + p.exitValue() + "): " + lines);
        }
        double rowsPerSecond = Double.parseDouble(result.substring("rows_per_s=".length()));
        System.out.printf(
                Locale.ROOT,
                "  %s, %d threads: %,.0f rows/s, peak PSS %d MB%n",
                side,
                n,
                rowsPerSecond,
                peak >> 10);
        return new Result(rowsPerSecond, peak >> 10);
    }

    /** Child: {@code ours|djl KIND MODEL_DIR IN OUT THREADS}; prints {@code rows_per_s=<r>}. */
    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        Kind kind = Kind.parse(args[1]);
        Path modelDir = Paths.get(args[2]);
        Path in = Paths.get(args[3]);
        Path out = Paths.get(args[4]);
        int threads = Integer.parseInt(args[5]);
        long rows =
                args[0].equals("ours")
                        ? ours(kind, modelDir, in, out, threads)
                        : handWritten(kind, modelDir, in, out, threads);
        System.out.println("rows_per_s=" + rows / ((System.nanoTime() - start) / 1e9));
        System.exit(0);
    }

    private static long ours(Kind kind, Path modelDir, Path in, Path out, int actors)
            throws Exception {
        try (Model model = load(kind, modelDir);
                ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(BlockModel.of(kind.factory(), model), Mode.ACTOR)) {
            ModelScorer.Config config =
                    ModelScorer.config(wrapper)
                            .inputColumn("features")
                            .outputColumn("scores")
                            .keepColumns("id")
                            .build();
            return Dataset.readParquet(in.toString())
                    .mapBatches(ModelScorer::new, config, 256, ActorPoolStrategy.size(actors))
                    .writeParquet(out.toString(), ParquetWriteOptions.overwrite())
                    .rowsWritten();
        }
    }

    /** A model loaded the DJL way: the block, then its saved parameters. */
    private static Model load(Kind kind, Path modelDir) throws Exception {
        Model model = Model.newInstance(kind.name(), Device.cpu(), "PyTorch");
        model.setBlock(kind.block());
        model.load(modelDir, kind.name());
        return model;
    }

    /** N threads, each with its own model and predictor, taking input files from one queue. */
    private static long handWritten(Kind kind, Path modelDir, Path in, Path out, int threads)
            throws Exception {
        Files.createDirectories(out);
        ConcurrentLinkedQueue<Path> files = new ConcurrentLinkedQueue<>(parquetFiles(in));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Long>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                workers.add(pool.submit(() -> worker(kind, modelDir, files, out)));
            }
            long rows = 0;
            for (Future<Long> worker : workers) {
                rows += worker.get();
            }
            return rows;
        } finally {
            pool.shutdown();
        }
    }

    private static long worker(Kind kind, Path modelDir, ConcurrentLinkedQueue<Path> files, Path out)
            throws Exception {
        long rows = 0;
        try (Model model = load(kind, modelDir);
                Predictor<float[], float[]> predictor = model.newPredictor(new FloatRows())) {
            for (Path file = files.poll(); file != null; file = files.poll()) {
                rows += scoreFile(file, predictor, out.resolve(file.getFileName()), kind.inputs());
            }
        }
        return rows;
    }

    /** Reads a file's rows, scores them 256 at a time, writes id and scores. */
    private static long scoreFile(Path file, Predictor<float[], float[]> predictor, Path out, int dim)
            throws Exception {
        Configuration conf = new Configuration();
        long rows = 0;
        try (ParquetReader<Group> reader =
                        ParquetReader.builder(
                                        new GroupReadSupport(),
                                        new org.apache.hadoop.fs.Path(file.toUri()))
                                .withConf(conf)
                                .build();
                ParquetWriter<Group> writer =
                        ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(out.toUri()))
                                .withConf(conf)
                                .withType(SCORES)
                                .withCompressionCodec(CompressionCodecName.SNAPPY)
                                .build()) {
            SimpleGroupFactory groups = new SimpleGroupFactory(SCORES);
            List<Long> ids = new ArrayList<>();
            List<float[]> inputs = new ArrayList<>();
            for (Group row = reader.read(); row != null; row = reader.read()) {
                ids.add(row.getLong("id", 0));
                Group list = row.getGroup("features", 0);
                float[] x = new float[dim];
                for (int j = 0; j < dim; j++) {
                    x[j] = list.getGroup("list", j).getFloat("element", 0);
                }
                inputs.add(x);
                if (inputs.size() == 256) {
                    rows += write(writer, groups, ids, predictor.batchPredict(inputs));
                    ids.clear();
                    inputs.clear();
                }
            }
            if (!inputs.isEmpty()) {
                rows += write(writer, groups, ids, predictor.batchPredict(inputs));
            }
        }
        return rows;
    }

    private static int write(
            ParquetWriter<Group> writer, SimpleGroupFactory groups, List<Long> ids, List<float[]> scores)
            throws IOException {
        for (int i = 0; i < scores.size(); i++) {
            Group row = groups.newGroup().append("id", ids.get(i));
            Group list = row.addGroup("scores");
            for (float v : scores.get(i)) {
                list.addGroup("list").append("element", v);
            }
            writer.write(row);
        }
        return scores.size();
    }

    /** float[] rows in and out, stacked into one batch per {@code batchPredict}. */
    static final class FloatRows implements Translator<float[], float[]> {
        @Override
        public NDList processInput(TranslatorContext ctx, float[] input) {
            return new NDList(ctx.getNDManager().create(input));
        }

        @Override
        public float[] processOutput(TranslatorContext ctx, NDList list) {
            return list.singletonOrThrow().toFloatArray();
        }

        @Override
        public Batchifier getBatchifier() {
            return Batchifier.STACK;
        }
    }

    private static List<Path> parquetFiles(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> p.getFileName().toString().endsWith(".parquet"))
                    .sorted()
                    .toList();
        }
    }

    /** Both wrote every row with the same scores (the first 1,000 of ours compared). */
    private static void checkSameScores(Path ours, Path djl) {
        List<Map<String, Object>> a = Dataset.readParquet(ours.toString()).take(1000);
        Map<Object, Object> byId = new java.util.HashMap<>();
        Dataset.readParquet(djl.toString())
                .take(Integer.MAX_VALUE)
                .forEach(r -> byId.put(r.get("id"), r.get("scores")));
        double max = 0;
        for (Map<String, Object> r : a) {
            List<?> x = (List<?>) r.get("scores");
            List<?> y = (List<?>) byId.get(r.get("id"));
            for (int j = 0; j < x.size(); j++) {
                max =
                        Math.max(
                                max,
                                Math.abs(
                                        ((Number) x.get(j)).floatValue()
                                                - ((Number) y.get(j)).floatValue()));
            }
        }
        System.out.printf("  check: same scores (max difference %.1e)%n", max);
        if (max > 1e-3) {
            throw new IllegalStateException("ours and the hand-written job disagree: " + max);
        }
    }

    private static Result median(List<Result> results) {
        List<Double> rates = new ArrayList<>();
        List<Long> pss = new ArrayList<>();
        results.forEach(
                r -> {
                    rates.add(r.rowsPerSecond());
                    pss.add(r.peakPssMb());
                });
        Collections.sort(rates);
        Collections.sort(pss);
        return new Result(rates.get(rates.size() / 2), pss.get(pss.size() / 2));
    }
}
