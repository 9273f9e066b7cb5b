package io.rayzerocopy.bench;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Batch;
import io.rayzerocopy.BatchIterator;
import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.WriteResult;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Rows per second of Parquet → model → Parquet, against the model's own forward pass (the ceiling),
 * Parquet decoding alone, and DJL called row by row (the baseline). Every score is in rows/s: one
 * JMH operation is one row ({@link OperationsPerInvocation} is the rows one call processes).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar ThroughputBench -f 1 -wi 1 -i 2 -r 2s
 * </pre>
 *
 * Each trial generates its input once (id int64, features 128 floats, in a temp directory) and
 * prints the per-operator statistics of its last job when it ends.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 2, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.math=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "-Dai.djl.offline=true"
        })
public class ThroughputBench {
    /** Rows of the small model's input, also read by the decode and row-by-row benchmarks. */
    static final int SMALL_ROWS = 100_000;

    /**
     * Rows of the heavy model's input: about 3 s of one core's forward work on this project's
     * machine (~24,000 rows/s a core), so a job's fixed costs (pool start, commit) do not dominate
     * a two-actor run that should be limited by the forward pass.
     */
    static final int HEAVY_ROWS = 65_536;

    /** Rows of the decode benchmark's table: large batches need many batches to reach a rate. */
    static final int DECODE_ROWS = 1_000_000;

    /** Rows one forward-ceiling call pushes through the model, in batches of the chosen size. */
    static final int FORWARD_ROWS = 1024;

    /** End to end with the small MLP. */
    @Benchmark
    @OperationsPerInvocation(SMALL_ROWS)
    public long endToEndSmall(SmallJob job) {
        return job.run();
    }

    /** End to end with the heavy MLP. */
    @Benchmark
    @OperationsPerInvocation(HEAVY_ROWS)
    public long endToEndHeavy(HeavyJob job) {
        return job.run();
    }

    /** The model's forward pass alone on a ready [batch, 128] tensor, one thread. */
    @Benchmark
    @OperationsPerInvocation(FORWARD_ROWS)
    public void forward(Forward forward) throws TranslateException {
        forward.run();
    }

    /** Parquet → Arrow batches of the chosen size, nothing else. */
    @Benchmark
    @OperationsPerInvocation(DECODE_ROWS)
    public long decode(Decode decode) {
        return decode.run();
    }

    /** The baseline: DJL's Predictor called once per row, a private model per worker. */
    @Benchmark
    @OperationsPerInvocation(SMALL_ROWS)
    public long rowByRow(RowByRow job) {
        return job.run();
    }

    /** A feature table of {@code rows} rows in a new temp directory; prints its size. */
    static Path featureTable(String prefix, long rows) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        Path input = dir.resolve("features");
        DatasetThroughput.generate(input, rows);
        long bytes;
        try (Stream<Path> files = Files.walk(input)) {
            bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        System.out.printf(
                "input: %,d rows, %,d bytes of Parquet (%.1f bytes a row)%n",
                rows, bytes, bytes / (double) rows);
        return dir;
    }

    static WriteResult checked(WriteResult result, long rows) {
        if (result.rowsWritten() != rows) {
            throw new IllegalStateException(
                    "wrote " + result.rowsWritten() + " rows, expected " + rows);
        }
        return result;
    }

    /** One end-to-end job configuration: input, model and wrapper made once per trial. */
    @State(Scope.Benchmark)
    public abstract static class Job {
        @Param({"32", "256", "1024"})
        public int batchSize;

        @Param({RuntimeNames.THREADS, RuntimeNames.PROCESSES})
        public String runtime;

        @Param({"1", "2", "4"})
        public int actors;

        private final ScoringModel kind;
        private final int rows;
        private Path dir;
        private Model trained;
        private ModelWrapper<Model> wrapper;
        private WriteResult last;

        Job(ScoringModel kind, int rows) {
            this.kind = kind;
            this.rows = rows;
        }

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = featureTable("rzc-e2e", rows);
            trained = kind.newTrained();
            wrapper =
                    ModelWrapper.fromModel(
                            BlockModel.of(kind.factory(), trained), io.rayzerocopy.Mode.ACTOR);
        }

        long run() {
            ModelScorer.Config spec =
                    ModelScorer.config(wrapper)
                            .inputColumn("features")
                            .outputColumn("scores")
                            .keepColumns("id")
                            .build();
            last =
                    checked(
                            Dataset.readParquet(dir.resolve("features").toString())
                                    .mapBatches(
                                            ModelScorer::new,
                                            spec,
                                            batchSize,
                                            ActorPoolStrategy.size(actors))
                                    .withOptions(
                                            ExecutionOptions.builder().runtime(runtime).build())
                                    .writeParquet(
                                            dir.resolve("scores").toString(),
                                            ParquetWriteOptions.overwrite()),
                            rows);
            return last.rowsWritten();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            System.out.printf(
                    "%nlast job (%s, batch %d, %s, %d actors): %,.0f rows/s%n%s%n",
                    kind,
                    batchSize,
                    runtime,
                    actors,
                    last.rowsWritten() / last.seconds(),
                    last.stats());
            wrapper.close();
            trained.close();
            BenchFiles.deleteTree(dir);
        }
    }

    /** The small MLP's job. */
    public static class SmallJob extends Job {
        public SmallJob() {
            super(ScoringModel.SMALL, SMALL_ROWS);
        }
    }

    /** The heavy MLP's job. */
    public static class HeavyJob extends Job {
        public HeavyJob() {
            super(ScoringModel.HEAVY, HEAVY_ROWS);
        }
    }

    /**
     * The same zero-copy loaded model and Predictor an actor uses, and a pre-made input; one per
     * JMH thread, so {@code -t 2} measures the ceiling of two actors running at once (two forward
     * passes on two cores need not run at twice one's speed).
     */
    @State(Scope.Thread)
    public static class Forward {
        @Param({"SMALL", "HEAVY"})
        public ScoringModel model;

        @Param({"32", "256", "1024"})
        public int batchSize;

        private Model trained;
        private ModelWrapper<Model> wrapper;
        private Model loaded;
        private Predictor<NDList, NDList> predictor;
        private NDManager manager;
        private NDArray input;

        @Setup(Level.Trial)
        public void setUp() {
            trained = model.newTrained();
            wrapper =
                    ModelWrapper.fromModel(
                            BlockModel.of(model.factory(), trained), io.rayzerocopy.Mode.ACTOR);
            loaded = wrapper.load();
            predictor = loaded.newPredictor(new NoopTranslator());
            manager = NDManager.newBaseManager();
            input = manager.randomNormal(new Shape(batchSize, ScoringModel.INPUTS));
        }

        void run() throws TranslateException {
            for (int done = 0; done < FORWARD_ROWS; done += batchSize) {
                // The forward's intermediates and outputs land in the input's manager: a per-call
                // one frees them.
                try (NDManager call = manager.newSubManager()) {
                    input.tempAttach(call);
                    predictor.predict(new NDList(input));
                }
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            manager.close();
            predictor.close();
            loaded.close();
            wrapper.close();
            trained.close();
        }
    }

    /**
     * A 1,000,000-row feature table (two files, row groups of 65,536), decoded by one reader into
     * batches of {@code batchSize} rows that a pass-through stage hands on (the reader's batch size
     * is the first stage's).
     */
    @State(Scope.Benchmark)
    public static class Decode {
        @Param({"1024", "131072"})
        public int batchSize;

        private Path dir;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = featureTable("rzc-decode", DECODE_ROWS);
        }

        long run() {
            long rows = 0;
            try (BatchIterator batches =
                    Dataset.readParquet(dir.resolve("features").toString())
                            .mapBatches(Batch::root, batchSize)
                            .iterBatches()) {
                while (batches.hasNext()) {
                    rows += batches.next().getRowCount();
                }
            }
            if (rows != DECODE_ROWS) {
                throw new IllegalStateException(
                        "decoded " + rows + " rows, expected " + DECODE_ROWS);
            }
            return rows;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            BenchFiles.deleteTree(dir);
        }
    }

    /**
     * The small model's input scored row by row by {@code workers} threads, each with its own
     * model.
     */
    @State(Scope.Benchmark)
    public static class RowByRow {
        @Param({"1", "2"})
        public int workers;

        private Path dir;
        private RowByRowActor.Source source;
        private WriteResult last;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = featureTable("rzc-rowbyrow", SMALL_ROWS);
            try (Model trained = ScoringModel.SMALL.newTrained()) {
                trained.save(dir.resolve("model"), "small");
            }
            source =
                    new RowByRowActor.Source(
                            ScoringModel.SMALL, dir.resolve("model").toString(), "small");
        }

        long run() {
            last =
                    checked(
                            Dataset.readParquet(dir.resolve("features").toString())
                                    .mapBatches(
                                            RowByRowActor::new,
                                            source,
                                            256,
                                            ActorPoolStrategy.size(workers))
                                    .writeParquet(
                                            dir.resolve("scores").toString(),
                                            ParquetWriteOptions.overwrite()),
                            SMALL_ROWS);
            return last.rowsWritten();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            System.out.printf(
                    "%nlast job (row by row, %d workers): %,.0f rows/s%n%s%n",
                    workers, last.rowsWritten() / last.seconds(), last.stats());
            BenchFiles.deleteTree(dir);
        }
    }
}
