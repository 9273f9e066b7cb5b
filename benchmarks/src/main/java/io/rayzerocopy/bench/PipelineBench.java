package io.rayzerocopy.bench;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.BenchActors;
import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.WriteResult;
import io.rayzerocopy.internal.data.Allocators;
import io.rayzerocopy.internal.data.BatchReader;
import io.rayzerocopy.internal.data.ParquetSource;
import io.rayzerocopy.internal.data.SourceBatch;
import io.rayzerocopy.internal.exec.BatchProcessor;
import io.rayzerocopy.internal.model.Djl;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

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
 * {@code id} int64, {@code features} 128 float32; snappy, row groups of 65,536, files of 500,000
 * rows), each stage alone on this thread, in CPU-seconds of this thread per row:
 *
 * <ul>
 *   <li>decode: our Parquet reader to Arrow batches of the job's batch size, the whole table;
 *   <li>score: the job's own actor ({@link ModelScorer}, model loaded) on decoded batches: Arrow
 *       batch to tensor, forward, Arrow output;
 *   <li>encode + write: our writer on those outputs ({@code id}, {@code scores} 10 float32).
 * </ul>
 *
 * The limit is {@code cores / Σ stage CPU per row} (rows/s). Then the whole job (threads runtime,
 * {@code actors} actors) in rows per wall second, its efficiency (job ÷ limit), and its CPU per row
 * against the stages' sum ({@code cpu_efficiency}: a figure other load on the machine hardly moves,
 * unlike wall time). Stages and jobs take turns; each figure is the median of {@code reps} runs after
 * a warm-up run. The load average is printed with each line.
 */
public final class PipelineBench {
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
        Djl.engine();
        Path dir = Files.createTempDirectory("rzc-pipeline-bench");
        try {
            Path table = dir.resolve("features");
            DatasetThroughput.generate(table, rows);
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
                double[] scoreEncode = scoreAndEncode(table, config, batchSize, sample, dir);
                double[] job = job(jobFiles, config, batchSize, actors, dir);
                Run run = new Run(decode, scoreEncode[0], scoreEncode[1], job[0], job[1]);
                System.out.printf(
                        Locale.ROOT,
                        "%s rep %d%s: %s (load %s)%n",
                        kind,
                        rep,
                        rep == 0 ? " (warm-up)" : "",
                        describe(run, actors),
                        load());
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

    /** Decodes the whole table on this thread; CPU-seconds a row. */
    static double decode(Path table, int batchSize) throws Exception {
        long rows = 0;
        long cpu = THREADS.getCurrentThreadCpuTime();
        try (BufferAllocator allocator = Allocators.child("bench-decode");
                BatchReader reader =
                        ParquetSource.of(List.of(table.toString())).open(allocator, batchSize)) {
            for (SourceBatch batch = reader.next(); batch != null; batch = reader.next()) {
                rows += batch.rowCount();
                batch.close();
            }
        }
        return (THREADS.getCurrentThreadCpuTime() - cpu) / 1e9 / rows;
    }

    /**
     * Scores the table's first {@code sample} rows with the job's actor on this thread, then writes
     * its outputs with our writer on this thread; CPU-seconds a row of each.
     */
    private static double[] scoreAndEncode(
            Path table, ModelScorer.Config config, int batchSize, int sample, Path dir)
            throws Exception {
        try (BufferAllocator allocator = Allocators.child("bench-score")) {
            List<VectorSchemaRoot> inputs = read(table, batchSize, sample, allocator);
            List<VectorSchemaRoot> outputs = new ArrayList<>();
            double score;
            try (BatchProcessor actor = BenchActors.actor(ModelScorer::new, config)) {
                long cpu = THREADS.getCurrentThreadCpuTime();
                for (VectorSchemaRoot input : inputs) {
                    outputs.add(actor.process(input, allocator));
                }
                score = (THREADS.getCurrentThreadCpuTime() - cpu) / 1e9 / sample;
            } finally {
                inputs.forEach(VectorSchemaRoot::close);
            }
            long cpu = THREADS.getCurrentThreadCpuTime();
            WriteResult written =
                    Dataset.fromArrowStream(outputs.get(0).getSchema(), outputs.iterator())
                            .writeParquet(
                                    dir.resolve("encoded").toString(),
                                    ParquetWriteOptions.overwrite());
            double encode = (THREADS.getCurrentThreadCpuTime() - cpu) / 1e9 / sample;
            ThroughputBench.checked(written, sample);
            return new double[] {score, encode};
        }
    }

    /** The table's first {@code rows} rows in batches of {@code batchSize}. */
    private static List<VectorSchemaRoot> read(
            Path table, int batchSize, int rows, BufferAllocator allocator) throws Exception {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        int read = 0;
        try (BatchReader reader =
                ParquetSource.of(List.of(table.toString())).open(allocator, batchSize)) {
            while (read < rows) {
                SourceBatch batch = reader.next();
                batches.add(batch.root());
                read += batch.rowCount();
            }
        }
        if (read != rows) {
            throw new IllegalStateException("sample of " + read + " rows, not " + rows);
        }
        return batches;
    }

    /** The whole job; its rows per wall second and CPU-seconds (of this process) a row. */
    private static double[] job(
            List<String> files, ModelScorer.Config config, int batchSize, int actors, Path dir) {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean();
        long cpu = os.getProcessCpuTime();
        long start = System.nanoTime();
        WriteResult result =
                Dataset.readParquet(files.toArray(String[]::new))
                        .mapBatches(
                                ModelScorer::new, config, batchSize, ActorPoolStrategy.size(actors))
                        .writeParquet(
                                dir.resolve("scores").toString(), ParquetWriteOptions.overwrite());
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (os.getProcessCpuTime() - cpu) / 1e9;
        ThroughputBench.checked(result, rowsOf(files));
        return new double[] {
            result.rowsWritten() / seconds, cpuSeconds / result.rowsWritten()
        };
    }

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
        return ParquetSource.of(files).rowCount().orElseThrow();
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
                Long.parseLong(a.getOrDefault(5, "1000000")));
        System.exit(0);
    }
}
