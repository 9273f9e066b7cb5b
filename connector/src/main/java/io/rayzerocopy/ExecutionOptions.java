package io.rayzerocopy;

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
    private final RuntimeKind runtime;
    private final int maxActorRestarts;
    private final Consumer<Progress> progress;

    private ExecutionOptions(Builder builder) {
        this.preserveOrder = builder.preserveOrder;
        this.maxErroredBatches = builder.maxErroredBatches;
        this.runtime = builder.runtime;
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
     * Where actors run (default {@link RuntimeKind#THREADS}, the fastest here: docs/benchmarks.md).
     */
    public RuntimeKind runtime() {
        return runtime;
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
                + ", maxActorRestarts="
                + maxActorRestarts
                + "}";
    }

    /** Builds {@link ExecutionOptions}. */
    public static final class Builder {
        private boolean preserveOrder;
        private int maxErroredBatches;
        private RuntimeKind runtime = RuntimeKind.THREADS;
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

        public Builder runtime(RuntimeKind runtime) {
            this.runtime =
                    Objects.requireNonNull(runtime, "runtime: pass THREADS, PROCESSES or RAY");
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
