package io.rayzerocopy.cli;

import io.rayzerocopy.StoreException;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.FileNotFoundException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * {@code rzc}: batch scoring of Parquet with a shared, memory-mapped model, and the tools around
 * it. Exit codes: 0 success; 2 bad usage or bad input (one line naming the argument, file or
 * column); 1 job failure (naming the batch and cause). {@code --verbose} adds stack traces.
 */
@Command(
        name = "rzc",
        mixinStandardHelpOptions = true,
        version = "ray-zerocopy 0.1.0",
        description =
                "Batch inference over Parquet where every actor shares one memory-mapped copy of"
                        + " the model.",
        subcommands = {
            DemoCommand.class,
            ScoreCommand.class,
            InspectCommand.class,
            StoreCommand.class,
            CleanCommand.class,
            BenchCommand.class
        })
public final class Rzc {
    @Option(
            names = "--verbose",
            scope = CommandLine.ScopeType.INHERIT,
            description = "print stack traces of errors")
    boolean verbose;

    private Rzc() {}

    /** Builds the command line, with error handling that maps user errors to exit code 2. */
    public static CommandLine commandLine() {
        Rzc rzc = new Rzc();
        CommandLine cl = new CommandLine(rzc);
        cl.setParameterExceptionHandler(
                (e, args) -> {
                    CommandLine cmd = e.getCommandLine();
                    PrintWriter err = cmd.getErr();
                    err.println(
                            "rzc: "
                                    + e.getMessage()
                                    + " (see: rzc "
                                    + cmd.getCommandSpec()
                                            .qualifiedName(" ")
                                            .replaceFirst("^rzc ?", "")
                                    + " --help)");
                    err.flush();
                    return 2;
                });
        cl.setExecutionExceptionHandler(
                (e, cmd, parsed) -> {
                    boolean verbose = rzc.verbose || parsed.hasMatchedOption("--verbose");
                    PrintWriter err = cmd.getErr();
                    Throwable cause = e;
                    boolean user = isUserError(cause);
                    err.println(
                            "rzc: "
                                    + (user ? "" : "job failed: ")
                                    + firstLine(JobOptions.withFlags(message(cause))));
                    if (verbose) {
                        e.printStackTrace(err);
                    }
                    err.flush();
                    return user ? 2 : 1;
                });
        return cl;
    }

    static boolean isUserError(Throwable e) {
        if (e instanceof JobFailure) {
            return false;
        }
        return e instanceof UserError
                || e instanceof IllegalArgumentException
                || e instanceof StoreException
                || e instanceof FileNotFoundException
                || e instanceof NoSuchFileException
                || (e instanceof UncheckedIOException
                        && e.getCause() instanceof NoSuchFileException);
    }

    /**
     * A multi-line message (e.g. a TorchScript error) in one line: its first line, continued by the
     * next when it ends with a colon (libtorch puts its cause there: {@code Unknown type name 'X':}),
     * then the cause where libtorch ends with one ({@code RuntimeError: ...}), else the source
     * position it names ({@code File "code/__torch__.py", line 10}), else the last line.
     */
    static String firstLine(String s) {
        List<String> lines = s.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        if (lines.size() <= 1) {
            return lines.isEmpty() ? s.strip() : lines.get(0);
        }
        int used = lines.get(0).endsWith(":") ? 2 : 1;
        String head = String.join(" ", lines.subList(0, used));
        String last = lines.get(lines.size() - 1);
        String position =
                lines.stream()
                        .filter(l -> l.matches("File \".*\", line \\d+.*"))
                        .findFirst()
                        .orElse(null);
        String tail =
                last.matches("[A-Za-z.]*(Error|Exception): .*") || position == null
                        ? last
                        : position;
        return used == lines.size() ? head : head + " ... " + tail;
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.out.flush();
        System.exit(code);
    }
}
