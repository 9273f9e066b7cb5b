package io.rayzerocopy.spi;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a runtime is asked for: its name, the CPUs each actor uses (a scheduler such as Ray reserves
 * them; worker processes run that many torch threads), the JVM options of any worker JVMs it
 * starts, and settings of its own ({@code "spark.master"}, ...). Immutable and serializable, so
 * that a job running on a cluster takes its settings along.
 */
@Stable
public record RuntimeSettings(
        String runtime,
        double cpusPerActor,
        List<String> workerJvmOptions,
        Map<String, String> options)
        implements Serializable {

    public RuntimeSettings {
        Objects.requireNonNull(runtime, "runtime");
        if (!(cpusPerActor > 0)) {
            throw new IllegalArgumentException("cpusPerActor must be > 0, got " + cpusPerActor);
        }
        workerJvmOptions = List.copyOf(workerJvmOptions);
        options = Map.copyOf(options);
    }

    /** Settings for {@code runtime} with one CPU per actor and nothing else. */
    public static RuntimeSettings of(String runtime) {
        return new RuntimeSettings(runtime, 1, List.of(), Map.of());
    }

    /** Torch threads for an actor of its own process: its CPUs, rounded up. */
    public int threadsPerActor() {
        return (int) Math.ceil(cpusPerActor);
    }

    /** A setting of the runtime's own, or {@code fallback}. */
    public String option(String key, String fallback) {
        return options.getOrDefault(key, fallback);
    }
}
