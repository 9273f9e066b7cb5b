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
        subcommands = {BenchCommand.Memory.class, BenchCommand.Load.class})
final class BenchCommand {
    private BenchCommand() {}

    static Object invoke(String className, Class<?>[] types, Object... args) throws Exception {
        Class<?> c;
        try {
            c = Class.forName(className);
        } catch (ClassNotFoundException e) {
            throw new UserError(
                    "the benchmarks are not on the classpath: run them through ./rzc from the"
                        + " repository root");
        }
        try {
            return c.getMethod("run", types).invoke(null, args);
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
                    + " ratio=<x/y>",
                "",
                "Example:",
                "  rzc bench memory --actors 4 --model-mb 400"
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
            invoke(
                    "io.rayzerocopy.bench.MemoryBench",
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
                    new Class<?>[] {int.class, int.class},
                    modelMb,
                    reps);
            return 0;
        }
    }
}
