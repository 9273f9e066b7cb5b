package io.rayzerocopy.cli;

import io.rayzerocopy.RuntimeNames;

import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Where a job's actors run: the options {@code demo} and {@code score} share (a picocli mixin). */
final class RuntimeOptions {
    @Option(
            names = "--runtime",
            defaultValue = RuntimeNames.THREADS,
            description = "threads, processes, ray or spark (default: ${DEFAULT-VALUE})")
    String runtime;

    @Option(
            names = "--worker-jvm-option",
            paramLabel = "OPTION",
            description =
                    "a JVM option of the worker processes of --runtime processes, after ours (e.g."
                            + " --worker-jvm-option=-Xmx2g); repeat for several")
    List<String> workerJvmOptions = new ArrayList<>();
}
