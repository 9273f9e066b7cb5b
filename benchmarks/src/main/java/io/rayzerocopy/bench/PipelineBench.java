package io.rayzerocopy.bench;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Batch;
import io.rayzerocopy.BatchIterator;
import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.WriteResult;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * How close the main job comes to what its stages allow. On one generated table (the demo schema:
 * {@code id} int64, {@code features} 128 float32; snappy, row groups of 65,536, files of 100,000
 * rows), each stage alone on one thread, in CPU-seconds of that thread per row ({@link ThreadCpu}):
 *
 * <ul>
 *   <li>decode: our Parquet reader to Arrow batches of the job's batch size, the whole table (the
 *       read thread of a pass-through run);
 *   <li>score: the job's own actor ({@link ModelScorer}, model loaded): Arrow batch to tensor,
 *       forward, Arrow output (the one actor's thread of a one-actor job over the table's first
 *       rows);
 *   <li>encode + write: our writer on those outputs ({@code id}, {@code scores} 10 float32) (the
 *       same job's writing thread).
 * </ul>
 *
 * The limit is {@code cores / Σ stage CPU per row} (rows/s). Then the whole job (threads runtime,
 * {@code actors} actors) in rows per wall second, its efficiency (job ÷ limit), and its CPU per row
 * against the stages' sum ({@code cpu_efficiency}: a figure other load on the machine hardly moves,
 * unlike wall time). Stages and jobs take turns; each figure is the median of {@code reps} runs after
 * a warm-up run. The load average is printed with each line.
 */
public final class PipelineBench {
    /** Files of the table: the heavy model's job reads the first ones. */
    private static final long ROWS_PER_FILE = 100_000;

    private static final int SMALL_SAMPLE = 262_144;
    private static final int HEAVY_SAMPLE = 24_576;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private PipelineBench() {}

    /** CPU-seconds per row of each stage alone, and the job's rows/s and CPU-seconds per row. */
    record Run(double decode, double score, double encode, double jobRowsPerSecond, double jobCpu) {
        double stages() {
            return decode + score + encode;
        }
    }

    /**
     * Runs the comparison for each of {@code models} ({@code small}, {@code heavy}); the heavy job
     * reads the table's first files, {@code heavyRows} rows or more. Returns the last line.
     */
    public static String run(
            long rows, int batchSize, int actors, int reps, List<String> models, long heavyRows)
            throws Exception {
        // As an actor would have them (Djl's defaults), before the models below start the engine.
        for (String key : List.of("ai.djl.pytorch.num_threads", "ai.djl.pytorch.num_interop_threads")) {
            if (System.getProperty(key) == null) {
                System.setProperty(key, "1");
            }
        }
        Path dir = Files.createTempDirectory("rzc-pipeline-bench");
        try {
            Path table = dir.resolve("features");
            DatasetThroughput.generate(table, rows, ROWS_PER_FILE);
            StringBuilder last = new StringBuilder();
            for (String name : models) {
                ScoringModel kind = ScoringModel.valueOf(name.toUpperCase(Locale.ROOT));
                List<String> files =
                        kind == ScoringModel.HEAVY ? firstFiles(table, heavyRows) : files(table);
                String line = model(kind, table, files, dir, batchSize, actors, reps);
                System.out.println(line);
                last.setLength(0);
                last.append(line);
            }
            return last.toString();
        } finally {
            BenchFiles.deleteTree(dir);
        }
    }

    private static String model(
            ScoringModel kind,
            Path table,
            List<String> jobFiles,
            Path dir,
            int batchSize,
            int actors,
            int reps)
            throws Exception {
        int sample = kind == ScoringModel.HEAVY ? HEAVY_SAMPLE : SMALL_SAMPLE;
        // The table's first rows (the generator is seeded by row): the score stage's input.
        Path sampleTable = dir.resolve("sample-" + kind);
        DatasetThroughput.generate(sampleTable, sample);
        List<Run> runs = new ArrayList<>();
        try (Model trained = kind.newTrained();
                ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(BlockModel.of(kind.factory(), trained), Mode.ACTOR)) {
            ModelScorer.Config config =
                    ModelScorer.config(wrapper)
                            .inputColumn("features")
                            .outputColumn("scores")
                            .keepColumns("id")
                            .build();
            for (int rep = 0; rep <= reps; rep++) {
                double decode = decode(table, batchSize);
                double[] scoreEncode = scoreAndEncode(sampleTable, sample, config, batchSize, dir);
                Job job = job(jobFiles, config, batchSize, actors, dir);
                Run run =
                        new Run(
                                decode,
                                scoreEncode[0],
                                scoreEncode[1],
                                job.rowsPerSecond(),
                                job.cpuPerRow());
                System.out.printf(
                        Locale.ROOT,
                        "%s rep %d%s: %s (load %s)%n  job CPU-µs a row by thread: %s%n",
                        kind,
                        rep,
                        rep == 0 ? " (warm-up)" : "",
                        describe(run, actors),
                        load(),
                        job.roleMicros().entrySet().stream()
                                .map(e -> String.format(Locale.ROOT, "%s %.3f", e.getKey(), e.getValue()))
                                .toList());
                if (rep > 0) {
                    runs.add(run);
                }
            }
        }
        Run median = median(runs);
        return String.format(
                Locale.ROOT,
                "pipeline model=%s rows=%d batch=%d actors=%d decode_us=%.3f score_us=%.3f"
                        + " encode_us=%.3f limit_rows_s=%.0f job_rows_s=%.0f efficiency=%.2f"
                        + " job_cpu_us=%.3f cpu_efficiency=%.2f load=%s",
                kind.name().toLowerCase(Locale.ROOT),
                rowsOf(jobFiles),
                batchSize,
                actors,
                median.decode() * 1e6,
                median.score() * 1e6,
                median.encode() * 1e6,
                limit(median),
                median.jobRowsPerSecond(),
                median.jobRowsPerSecond() / limit(median),
                median.jobCpu() * 1e6,
                median.stages() / median.jobCpu(),
                load());
    }

    private static double limit(Run run) {
        return Runtime.getRuntime().availableProcessors() / run.stages();
    }

    private static String describe(Run run, int actors) {
        return String.format(
                Locale.ROOT,
                "decode %.3f µs, score %.3f µs, encode %.3f µs a row (CPU) -> limit %,.0f rows/s;"
                        + " job (%d actors) %,.0f rows/s = %.0f %%, %.3f CPU-µs a row",
                run.decode() * 1e6,
                run.score() * 1e6,
                run.encode() * 1e6,
                limit(run),
                actors,
                run.jobRowsPerSecond(),
                100 * run.jobRowsPerSecond() / limit(run),
                run.jobCpu() * 1e6);
    }

    /** Decodes the whole table; CPU-seconds a row of the read thread. */
    static double decode(Path table, int batchSize) {
        long[] rows = {0};
        Map<String, Double> cpu =
                ThreadCpu.measure(
                        () -> {
                            try (BatchIterator batches =
                                    Dataset.readParquet(table.toString())
                                            .mapBatches(Batch::root, batchSize)
                                            .iterBatches()) {
                                while (batches.hasNext()) {
                                    rows[0] += batches.next().getRowCount();
                                }
                            }
                        });
        return ThreadCpu.of(cpu, "rzc-read") / rows[0];
    }

    /**
     * A one-actor job over the sample table; CPU-seconds a row of its actor's thread (score) and of
     * this thread, which writes (encode + write).
     */
    private static double[] scoreAndEncode(
            Path sample, long rows, ModelScorer.Config config, int batchSize, Path dir) {
        long[] writer = new long[1];
        Map<String, Double> cpu =
                ThreadCpu.measure(
                        () -> {
                            long start = THREADS.getCurrentThreadCpuTime();
                            ThroughputBench.checked(
                                    Dataset.readParquet(sample.toString())
                                            .mapBatches(
                                                    ModelScorer::new,
                                                    config,
                                                    batchSize,
                                                    ActorPoolStrategy.size(1))
                                            .writeParquet(
                                                    dir.resolve("sample-scores").toString(),
                                                    ParquetWriteOptions.overwrite()),
                                    rows);
                            writer[0] = THREADS.getCurrentThreadCpuTime() - start;
                        });
        return new double[] {actorCpu(cpu) / rows, writer[0] / 1e9 / rows};
    }

    /** CPU-seconds of the actor threads: {@code map<i>(<function>)-actor-<j>}, cut to 15 chars. */
    private static double actorCpu(Map<String, Double> cpu) {
        return ThreadCpu.of(cpu, "map#(");
    }

    /**
     * The whole job; its rows per wall second, CPU-seconds (of this process) a row, and the
     * CPU-seconds a row of each thread role.
     */
    private static Job job(
            List<String> files, ModelScorer.Config config, int batchSize, int actors, Path dir) {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean();
        long cpu = os.getProcessCpuTime();
        long start = System.nanoTime();
        WriteResult[] result = new WriteResult[1];
        Map<String, Double> roles =
                ThreadCpu.measure(
                        () ->
                                result[0] =
                                        Dataset.readParquet(files.toArray(String[]::new))
                                                .mapBatches(
                                                        ModelScorer::new,
                                                        config,
                                                        batchSize,
                                                        ActorPoolStrategy.size(actors))
                                                .writeParquet(
                                                        dir.resolve("scores").toString(),
                                                        ParquetWriteOptions.overwrite()));
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (os.getProcessCpuTime() - cpu) / 1e9;
        long rows = ThroughputBench.checked(result[0], rowsOf(files)).rowsWritten();
        Map<String, Double> perRow = new LinkedHashMap<>();
        roles.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .limit(6)
                .forEach(e -> perRow.put(e.getKey(), e.getValue() / rows * 1e6));
        return new Job(rows / seconds, cpuSeconds / rows, perRow);
    }

    /** A job's rows/s, CPU-seconds a row, and CPU-µs a row of its busiest thread roles. */
    record Job(double rowsPerSecond, double cpuPerRow, Map<String, Double> roleMicros) {}

    private static List<String> files(Path table) throws IOException {
        try (Stream<Path> walk = Files.list(table)) {
            return walk.filter(p -> p.getFileName().toString().endsWith(".parquet"))
                    .map(Path::toString)
                    .sorted()
                    .toList();
        }
    }

    /** The table's first files holding at least {@code rows} rows. */
    private static List<String> firstFiles(Path table, long rows) throws IOException {
        List<String> chosen = new ArrayList<>();
        long have = 0;
        for (String file : files(table)) {
            if (have >= rows) {
                break;
            }
            chosen.add(file);
            have += rowsOf(List.of(file));
        }
        return chosen;
    }

    private static long rowsOf(List<String> files) {
        return Dataset.readParquet(files.toArray(String[]::new)).count();
    }

    private static Run median(List<Run> runs) {
        return new Run(
                median(runs, Run::decode),
                median(runs, Run::score),
                median(runs, Run::encode),
                median(runs, Run::jobRowsPerSecond),
                median(runs, Run::jobCpu));
    }

    private static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
        List<Double> values = new ArrayList<>();
        runs.forEach(r -> values.add(f.applyAsDouble(r)));
        Collections.sort(values);
        return values.get(values.size() / 2);
    }

    /** The 1-minute load average, for the record of each figure. */
    static String load() {
        try {
            return Files.readString(Paths.get("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    /** {@code [rows [batch [actors [reps [models [heavyRows]]]]]]}. */
    public static void main(String[] args) throws Exception {
        Map<Integer, String> a = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            a.put(i, args[i]);
        }
        run(
                Long.parseLong(a.getOrDefault(0, "2000000")),
                Integer.parseInt(a.getOrDefault(1, "256")),
                Integer.parseInt(
                        a.getOrDefault(
                                2, Integer.toString(Runtime.getRuntime().availableProcessors()))),
                Integer.parseInt(a.getOrDefault(3, "3")),
                List.of(a.getOrDefault(4, "small,heavy").split(",")),
                Long.parseLong(a.getOrDefault(5, "200000")));
        System.exit(0);
    }
}
