package io.rayzerocopy;

import io.rayzerocopy.spi.Runtimes;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How a {@link Dataset} runs: where its actors run, whether output keeps input order, how many
 * failing batches may be recorded instead of failing the job, how often a dead actor's batches are
 * retried, and who hears about progress. Immutable; see {@link #builder()}.
 */
public final class ExecutionOptions {
    private static final ExecutionOptions DEFAULTS = builder().build();

    private final boolean preserveOrder;
    private final int maxErroredBatches;
    private final String runtime;
    private final Map<String, String> runtimeOptions;
    private final List<String> workerJvmOptions;
    private final int maxActorRestarts;
    private final Consumer<Progress> progress;

    private ExecutionOptions(Builder builder) {
        this.preserveOrder = builder.preserveOrder;
        this.maxErroredBatches = builder.maxErroredBatches;
        this.runtime = builder.runtime;
        this.runtimeOptions = Map.copyOf(builder.runtimeOptions);
        this.workerJvmOptions = List.copyOf(builder.workerJvmOptions);
        this.maxActorRestarts = builder.maxActorRestarts;
        this.progress = builder.progress;
    }

    /** Unordered output, no errored batches allowed. */
    public static ExecutionOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .preserveOrder(preserveOrder)
                .maxErroredBatches(maxErroredBatches)
                .runtime(runtime)
                .runtimeOptions(runtimeOptions)
                .workerJvmOptions(workerJvmOptions)
                .maxActorRestarts(maxActorRestarts)
                .progress(progress);
    }

    /** Whether output rows come in input order (off by default, as in Ray Data). */
    public boolean preserveOrder() {
        return preserveOrder;
    }

    /**
     * How many batches may fail before the job fails (default 0). The rows of an allowed failure
     * are recorded: by {@code writeParquet} in an {@code _errors} dataset inside the output
     * directory (columns {@code operator, source, source_row, error}, one row per errored row),
     * otherwise in the log; {@link Dataset#stats()} counts them.
     */
    public int maxErroredBatches() {
        return maxErroredBatches;
    }

    /**
     * The name of the runtime actors run on: {@code "threads"} (the default, the fastest on one
     * machine: docs/benchmarks.md), {@code "processes"}, or {@code "ray"} and {@code "spark"} when
     * their modules are on the classpath.
     */
    public String runtime() {
        return runtime;
    }

    /** Settings of the runtime's own, such as {@code spark.master}; see each runtime's docs. */
    public Map<String, String> runtimeOptions() {
        return runtimeOptions;
    }

    /**
     * Extra JVM options of the worker JVMs a runtime starts ({@code processes}), e.g. {@code
     * -Xmx2g}.
     */
    public List<String> workerJvmOptions() {
        return workerJvmOptions;
    }

    /**
     * How many times in a job actors that died (a crashed or killed worker process, a lost Ray
     * actor) are replaced, their in-flight batches retried on the replacement (default 3).
     */
    public int maxActorRestarts() {
        return maxActorRestarts;
    }

    /** Called with the job's progress after each written batch (default: nothing). */
    public Consumer<Progress> progress() {
        return progress;
    }

    @Override
    public String toString() {
        return "ExecutionOptions{preserveOrder="
                + preserveOrder
                + ", maxErroredBatches="
                + maxErroredBatches
                + ", runtime="
                + runtime
                + (runtimeOptions.isEmpty() ? "" : " " + runtimeOptions)
                + ", maxActorRestarts="
                + maxActorRestarts
                + "}";
    }

    /** Builds {@link ExecutionOptions}. */
    public static final class Builder {
        private boolean preserveOrder;
        private int maxErroredBatches;
        private String runtime = RuntimeNames.THREADS;
        private final Map<String, String> runtimeOptions = new LinkedHashMap<>();
        private List<String> workerJvmOptions = List.of();
        private int maxActorRestarts = 3;
        private Consumer<Progress> progress = p -> {};

        private Builder() {}

        public Builder preserveOrder(boolean preserveOrder) {
            this.preserveOrder = preserveOrder;
            return this;
        }

        public Builder maxErroredBatches(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxErroredBatches must be >= 0, got " + n);
            }
            this.maxErroredBatches = n;
            return this;
        }

        /**
         * Runs actors on the runtime named {@code name}: {@code "threads"}, {@code "processes"},
         * {@code "ray"} or {@code "spark"}.
         *
         * @throws IllegalArgumentException if no runtime of that name is on the classpath; the
         *     message names the artifact that brings it
         */
        public Builder runtime(String name) {
            Objects.requireNonNull(name, "runtime: pass threads, processes, ray or spark");
            Runtimes.find(name);
            this.runtime = name;
            return this;
        }

        /** Sets one setting of the runtime's own, e.g. {@code ("spark.master", "local[4]")}. */
        public Builder runtimeOption(String key, String value) {
            runtimeOptions.put(
                    Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        private Builder runtimeOptions(Map<String, String> options) {
            runtimeOptions.putAll(options);
            return this;
        }

        /**
         * Extra JVM options of the worker JVMs a runtime starts, e.g. {@code List.of("-Xmx2g")}.
         */
        public Builder workerJvmOptions(List<String> options) {
            this.workerJvmOptions = List.copyOf(options);
            return this;
        }

        public Builder maxActorRestarts(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxActorRestarts must be >= 0, got " + n);
            }
            this.maxActorRestarts = n;
            return this;
        }

        public Builder progress(Consumer<Progress> listener) {
            this.progress = Objects.requireNonNull(listener, "progress listener");
            return this;
        }

        public ExecutionOptions build() {
            return new ExecutionOptions(this);
        }
    }
}
