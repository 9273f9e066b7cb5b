package io.rayzerocopy.cli;

import io.rayzerocopy.RuntimeNames;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;

/**
 * {@code rzc bench memory|load|decode|pipeline|handwritten|spark-memory|spark-throughput}: the
 * harnesses of the benchmarks module (on the launcher's classpath), called through {@link
 * Benchmarks}, so the CLI does not depend on it.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description =
                "Measure memory, load latency, decode, pipeline efficiency and Spark throughput"
                        + " against baselines.",
        subcommands = {
            BenchCommand.Memory.class,
            BenchCommand.Load.class,
            BenchCommand.SparkMemory.class,
            BenchCommand.SparkThroughput.class,
            BenchCommand.Decode.class,
            BenchCommand.Pipeline.class,
            BenchCommand.HandWritten.class
        })
final class BenchCommand {
    private BenchCommand() {}

    /** The benchmarks module's harnesses, or a usage error if it is not on the classpath. */
    static Benchmarks harnesses() {
        return ServiceLoader.load(Benchmarks.class)
                .findFirst()
                .orElseThrow(
                        () ->
                                new UserError(
                                        "the benchmarks are not on the classpath: run them through"
                                                + " ./rzc from the repository root"));
    }

    @Command(
            name = "memory",
            mixinStandardHelpOptions = true,
            description =
                    "N actor processes over a generated model: summed PSS, each loading its own"
                            + " copy vs zero-copy.",
            footer = {
                "",
                "Last line: actors=<n> model_mb=<s> naive_pss_mb=<x> zerocopy_pss_mb=<y>"
                        + " ratio=<x/y> per_actor_mb=<PSS of a zero-copy actor beyond its share of"
                        + " the store>",
                "With --scoring: scoring actors=<n> model_mb=<s> batch=<b> per_worker_mb_median=<m>"
                        + " per_worker_mb_max=<x> samples=<k> rows_per_s=<r>",
                "",
                "Examples:",
                "  rzc bench memory --actors 4 --model-mb 400",
                "  rzc bench memory --actors 8 --model-mb 1024",
                "  rzc bench memory --scoring --actors 4 --model-mb 336 --kind torchscript"
            })
    static final class Memory implements Callable<Integer> {
        @Option(
                names = "--actors",
                defaultValue = "4",
                description = "actor processes (default: ${DEFAULT-VALUE})")
        int actors;

        @Option(
                names = "--model-mb",
                defaultValue = "400",
                description = "model size in MB (default: ${DEFAULT-VALUE})")
        int modelMb;

        @Option(
                names = "--kind",
                defaultValue = "block",
                description =
                        "block (Java DJL block) or torchscript (needs python3-torch) (default:"
                                + " ${DEFAULT-VALUE})")
        String kind;

        @Option(
                names = "--scoring",
                description =
                        "measure the workers of a scoring job while they score, instead of idle"
                                + " actors")
        boolean scoring;

        @Option(
                names = "--batch-size",
                defaultValue = "64",
                description = "rows per batch with --scoring (default: ${DEFAULT-VALUE})")
        int batchSize;

        @Option(
                names = "--runtime",
                defaultValue = RuntimeNames.PROCESSES,
                description = "processes (default: ${DEFAULT-VALUE})")
        String runtime;

        @Override
        public Integer call() throws Exception {
            if (actors < 1 || modelMb < 16) {
                throw new UserError("--actors must be >= 1 and --model-mb >= 16");
            }
            if (!runtime.equals(RuntimeNames.PROCESSES)) {
                throw new UserError(
                        "--runtime "
                                + runtime
                                + ": the memory harness measures worker processes; use processes");
            }
            if (!kind.equals("block") && !kind.equals("torchscript")) {
                throw new UserError("--kind must be block or torchscript, not " + kind);
            }
            if (scoring) {
                if (batchSize < 1) {
                    throw new UserError("--batch-size must be >= 1");
                }
                harnesses().memoryWhileScoring(actors, modelMb, kind, batchSize);
                return 0;
            }
            harnesses().memory(actors, modelMb, kind);
            return 0;
        }
    }

    @Command(
            name = "load",
            mixinStandardHelpOptions = true,
            description =
                    "Median load time: plain DJL load vs wrapper.load(), for each kind of model.",
            footer = {
                "",
                "Last line: model_mb=<s> plain_ms=<x> zerocopy_ms=<y> ratio=<x/y>",
                "",
                "Example:",
                "  rzc bench load --model-mb 400"
            })
    static final class Load implements Callable<Integer> {
        @Option(
                names = "--model-mb",
                defaultValue = "400",
                description = "model size in MB (default: ${DEFAULT-VALUE})")
        int modelMb;

        @Option(
                names = "--reps",
                defaultValue = "9",
                description = "loads per kind; the median is reported (default: ${DEFAULT-VALUE})")
        int reps;

        @Override
        public Integer call() throws Exception {
            if (modelMb < 16 || reps < 1) {
                throw new UserError("--model-mb must be >= 16 and --reps >= 1");
            }
            harnesses().load(modelMb, reps);
            return 0;
        }
    }

    @Command(
            name = "spark-memory",
            mixinStandardHelpOptions = true,
            description =
                    "N executor JVMs on local-cluster over a generated TorchScript model: summed"
                            + " PSS with each executor loading its own copy (the DJL-Spark way) vs"
                            + " zero-copy. Needs python3-torch.",
            footer = {
                "",
                "One line per executor count: executors=<n> model_mb=<s> engine_only_pss_mb=<b>"
                        + " djl_spark_pss_mb=<x> zerocopy_pss_mb=<y> ratio=<x/y>",
                "",
                "Example:",
                "  rzc bench spark-memory --executors 2,4 --model-mb 400"
            })
    static final class SparkMemory implements Callable<Integer> {
        @Option(
                names = "--executors",
                split = ",",
                defaultValue = "2,4",
                description = "executor counts, one session each (default: ${DEFAULT-VALUE})")
        List<Integer> executors;

        @Option(
                names = "--model-mb",
                defaultValue = "400",
                description = "model size in MB (default: ${DEFAULT-VALUE})")
        int modelMb;

        @Override
        public Integer call() throws Exception {
            if (modelMb < 16 || executors.stream().anyMatch(n -> n < 1)) {
                throw new UserError("--model-mb must be >= 16 and --executors >= 1");
            }
            harnesses().sparkMemory(executors, modelMb);
            return 0;
        }
    }

    @Command(
            name = "spark-throughput",
            mixinStandardHelpOptions = true,
            description =
                    "Parquet to Parquet on local-cluster, in one session: ours vs the tuned"
                        + " DJL-Spark job (model cached once per executor, batchPredict of"
                        + " --batch-size rows stacked into one forward) and DJL-Spark's default"
                        + " (model loaded per partition, batchPredict on --baseline-batch rows);"
                        + " medians and time to first batch per task. Needs python3-torch.",
            footer = {
                "",
                "Last line: rows=<n> ours_s=<s> dataframe_s=<s> djl_spark_tuned_s=<s>"
                        + " djl_spark_s=<s> speedup_vs_tuned=<x> speedup=<x>"
                        + " ours_first_batch_ms=<ms> djl_spark_first_batch_ms=<ms>",
                "(speedups: each DJL-Spark job's time over ours)",
                "",
                "Example:",
                "  rzc bench spark-throughput --executors 2 --rows 100000 --partitions 16"
            })
    static final class SparkThroughput implements Callable<Integer> {
        @Option(
                names = "--executors",
                defaultValue = "2",
                description = "(default: ${DEFAULT-VALUE})")
        int executors;

        @Option(
                names = "--rows",
                defaultValue = "100000",
                description = "(default: ${DEFAULT-VALUE})")
        long rows;

        @Option(
                names = "--partitions",
                defaultValue = "16",
                description = "input files = splits = partitions (default: ${DEFAULT-VALUE})")
        int partitions;

        @Option(
                names = "--width",
                defaultValue = "512",
                description = "units of each layer of the MLP (default: ${DEFAULT-VALUE})")
        int width;

        @Option(
                names = "--layers",
                defaultValue = "4",
                description = "layers of the MLP (default: ${DEFAULT-VALUE})")
        int layers;

        @Option(
                names = "--batch-size",
                defaultValue = "256",
                description =
                        "rows per call, ours and the tuned DJL-Spark job (default:"
                                + " ${DEFAULT-VALUE})")
        int batchSize;

        @Option(
                names = "--baseline-batch",
                defaultValue = "10",
                description =
                        "rows per batchPredict, DJL-Spark's default job (default:"
                                + " ${DEFAULT-VALUE})")
        int baselineBatch;

        @Option(
                names = "--reps",
                defaultValue = "5",
                description = "runs of each after a warm-up; medians (default: ${DEFAULT-VALUE})")
        int reps;

        @Override
        public Integer call() throws Exception {
            if (executors < 1 || rows < partitions || partitions < 1 || reps < 1) {
                throw new UserError(
                        "--executors, --partitions and --reps must be >= 1, --rows >= partitions");
            }
            harnesses()
                    .sparkThroughput(
                            executors,
                            rows,
                            width,
                            layers,
                            partitions,
                            batchSize,
                            baselineBatch,
                            reps);
            return 0;
        }
    }

    @Command(
            name = "decode",
            mixinStandardHelpOptions = true,
            description =
                    "Parquet decode at batch 1,024 and 131,072: our reader vs Arrow C++'s (JNI),"
                            + " same files.",
            footer = {
                "",
                "Last line: decode rows=<n> ours_small=<rows/CPU-s> ours_large=<rows/CPU-s>"
                        + " large_vs_small=<x> min_ours_vs_arrow=<y>",
                "",
                "Example:",
                "  rzc bench decode --rows 1000000"
            })
    static final class Decode implements Callable<Integer> {
        @Option(
                names = "--rows",
                defaultValue = "1000000",
                description = "rows of the generated table (default: ${DEFAULT-VALUE})")
        long rows;

        @Option(
                names = "--reps",
                defaultValue = "5",
                description = "runs per reader and batch size; medians (default: ${DEFAULT-VALUE})")
        int reps;

        @Override
        public Integer call() throws Exception {
            if (rows < 1 || reps < 1) {
                throw new UserError("--rows and --reps must be >= 1");
            }
            harnesses().decode(rows, reps);
            return 0;
        }
    }

    @Command(
            name = "pipeline",
            mixinStandardHelpOptions = true,
            description =
                    "The main job against the sum of its stages: decode, score (small and heavy"
                            + " MLP) and encode + write, each alone on one thread in CPU-seconds a"
                            + " row; the limit cores / sum; the whole job (threads runtime) and its"
                            + " efficiency = job rows/s / limit.",
            footer = {
                "",
                "One line per model: pipeline model=<m> rows=<n> batch=<b> actors=<a>"
                        + " decode_us=<x> score_us=<x> encode_us=<x> limit_rows_s=<r>"
                        + " job_rows_s=<r> efficiency=<e> job_cpu_us=<x> cpu_efficiency=<e>"
                        + " load=<1-min load average>",
                "(cpu_efficiency: the stages' CPU a row over the job's; other load hardly moves"
                        + " it)",
                "",
                "Example:",
                "  rzc bench pipeline --rows 2000000 --models small,heavy --reps 3"
            })
    static final class Pipeline implements Callable<Integer> {
        @Option(
                names = "--rows",
                defaultValue = "2000000",
                description = "rows of the generated table (default: ${DEFAULT-VALUE})")
        long rows;

        @Option(
                names = "--batch-size",
                defaultValue = "256",
                description = "rows per batch (default: ${DEFAULT-VALUE})")
        int batchSize;

        @Option(names = "--actors", description = "actors of the job (default: the cores here)")
        Integer actors;

        @Option(
                names = "--models",
                split = ",",
                defaultValue = "small,heavy",
                description = "small and/or heavy (default: ${DEFAULT-VALUE})")
        List<String> models;

        @Option(
                names = "--heavy-rows",
                defaultValue = "200000",
                description =
                        "the heavy model's job reads the table's first files up to this many rows"
                                + " (default: ${DEFAULT-VALUE})")
        long heavyRows;

        @Option(
                names = "--reps",
                defaultValue = "3",
                description = "runs after a warm-up; medians (default: ${DEFAULT-VALUE})")
        int reps;

        @Override
        public Integer call() throws Exception {
            int n = actors == null ? Runtime.getRuntime().availableProcessors() : actors;
            if (rows < 262_144 || batchSize < 1 || n < 1 || reps < 1 || heavyRows < 1) {
                throw new UserError(
                        "--rows must be >= 262144, --batch-size, --actors, --reps and --heavy-rows"
                                + " >= 1");
            }
            for (String model : models) {
                if (!model.equals("small") && !model.equals("heavy")) {
                    throw new UserError("--models: small or heavy, not " + model);
                }
            }
            harnesses().pipeline(rows, batchSize, n, reps, models, heavyRows);
            return 0;
        }
    }

    @Command(
            name = "handwritten",
            mixinStandardHelpOptions = true,
            description =
                    "Ours (threads runtime) against the job a Java user writes without us:"
                        + " parquet-mr ParquetReader -> a DJL Predictor per thread (batchPredict,"
                        + " 256 rows stacked, its own model copy) -> ParquetWriter, same files and"
                        + " threads; rows/s and peak PSS of each side's JVM.",
            footer = {
                "",
                "One line per actor count: handwritten model=<m> rows=<n> actors=<a>"
                        + " ours_rows_s=<r> handwritten_rows_s=<r> speedup=<x> ours_pss_mb=<m>"
                        + " handwritten_pss_mb=<m> memory_ratio=<x> load=<1-min load average>",
                "",
                "Examples:",
                "  rzc bench handwritten --model small --rows 1000000 --actors 1,2,4",
                "  rzc bench handwritten --model large --large-mb 400 --rows 2048 --actors 1,2,4"
            })
    static final class HandWritten implements Callable<Integer> {
        @Option(
                names = "--actors",
                split = ",",
                defaultValue = "1,2,4",
                description =
                        "actors = threads of the hand-written job (default: ${DEFAULT-VALUE})")
        List<Integer> actors;

        @Option(
                names = "--rows",
                defaultValue = "1000000",
                description = "rows of the generated table (default: ${DEFAULT-VALUE})")
        long rows;

        @Option(
                names = "--model",
                defaultValue = "small",
                description =
                        "small or heavy (128 features), large (2,048 features, --large-mb of"
                                + " weights) (default: ${DEFAULT-VALUE})")
        String model;

        @Option(
                names = "--large-mb",
                defaultValue = "400",
                description = "weights of the large model in MB (default: ${DEFAULT-VALUE})")
        int largeMb;

        @Option(
                names = "--reps",
                defaultValue = "3",
                description = "runs of each side; medians (default: ${DEFAULT-VALUE})")
        int reps;

        @Override
        public Integer call() throws Exception {
            if (rows < 1 || reps < 1 || largeMb < 16 || actors.stream().anyMatch(n -> n < 1)) {
                throw new UserError("--rows, --reps and --actors must be >= 1, --large-mb >= 16");
            }
            if (!List.of("small", "heavy", "large").contains(model)) {
                throw new UserError("--model: small, heavy or large, not " + model);
            }
            harnesses().handWritten(actors, rows, model, largeMb, reps);
            return 0;
        }
    }
}
