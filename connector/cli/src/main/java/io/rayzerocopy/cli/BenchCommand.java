package io.rayzerocopy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.Callable;

/**
 * {@code rzc bench memory|load}: the harnesses of the benchmarks module (on the launcher's
 * classpath).
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Measure memory and load latency against baselines.",
        subcommands = {
            BenchCommand.Memory.class,
            BenchCommand.Load.class,
            BenchCommand.Decode.class
        })
final class BenchCommand {
    private BenchCommand() {}

    static Object invoke(String className, String method, Class<?>[] types, Object... args)
            throws Exception {
        Class<?> c;
        try {
            c = Class.forName(className);
        } catch (ClassNotFoundException e) {
            throw new UserError(
                    "the benchmarks are not on the classpath: run them through ./rzc from the"
                            + " repository root");
        }
        try {
            return c.getMethod(method, types).invoke(null, args);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
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
                    + " ratio=<x/y> per_actor_mb=<PSS of a zero-copy actor beyond its share of the"
                    + " store>",
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
                defaultValue = "processes",
                description = "processes (default: ${DEFAULT-VALUE})")
        String runtime;

        @Override
        public Integer call() throws Exception {
            if (actors < 1 || modelMb < 16) {
                throw new UserError("--actors must be >= 1 and --model-mb >= 16");
            }
            if (!runtime.equals("processes")) {
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
                invoke(
                        "io.rayzerocopy.bench.MemoryBench",
                        "scoring",
                        new Class<?>[] {int.class, int.class, String.class, int.class},
                        actors,
                        modelMb,
                        kind,
                        batchSize);
                return 0;
            }
            invoke(
                    "io.rayzerocopy.bench.MemoryBench",
                    "run",
                    new Class<?>[] {int.class, int.class, String.class},
                    actors,
                    modelMb,
                    kind);
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
            invoke(
                    "io.rayzerocopy.bench.LoadBench",
                    "run",
                    new Class<?>[] {int.class, int.class},
                    modelMb,
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
            invoke(
                    "io.rayzerocopy.bench.DecodeBench",
                    "run",
                    new Class<?>[] {long.class, int.class},
                    rows,
                    reps);
            return 0;
        }
    }
}
