package io.rayzerocopy.cli;

import io.rayzerocopy.admin.Staging;
import io.rayzerocopy.admin.StagingDirectory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code rzc clean DIR...}: removes the staging directories that killed jobs left next to their
 * outputs.
 */
@Command(
        name = "clean",
        mixinStandardHelpOptions = true,
        description =
                "Remove the hidden staging directories (.<out>.rzc-tmp-*) that jobs killed before"
                        + " committing left next to their output: those of output DIR and of the"
                        + " outputs directly inside DIR. Those of running jobs are kept. (A job"
                        + " removes them itself for its own output, unless run with --resume,"
                        + " which continues them.)",
        footer = {"", "Example:", "  rzc clean scores/      # or the directory holding outputs"})
final class CleanCommand implements Callable<Integer> {
    @Parameters(
            arity = "1..*",
            paramLabel = "DIR",
            description = "an output, or a directory of outputs: a path or a URI (hdfs://...)")
    List<String> dirs;

    @Override
    public Integer call() {
        int removed = 0;
        for (String dir : dirs) {
            for (StagingDirectory leftover : Staging.clean(dir)) {
                System.out.printf(
                        "removed %s (left by %s, %d input files committed)%n",
                        leftover.directory(), leftover.owner(), leftover.committedInputFiles());
                removed++;
            }
            for (StagingDirectory running : Staging.list(dir)) {
                System.out.printf(
                        "kept %s: %s is still running%n", running.directory(), running.owner());
            }
        }
        System.out.printf("removed %d staging directories%n", removed);
        return 0;
    }
}
