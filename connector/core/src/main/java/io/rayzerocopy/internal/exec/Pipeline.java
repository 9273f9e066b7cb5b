package io.rayzerocopy.internal.exec;

import io.rayzerocopy.internal.data.BatchSource;
import io.rayzerocopy.spi.ActorRuntime;

import org.apache.arrow.memory.BufferAllocator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A streaming plan: read batches from a source, pass them through map stages (each an actor pool),
 * hand them to the consumer of a {@link PipelineRun}. Operators run concurrently, joined by bounded
 * queues, so a slow consumer holds back everything before it (backpressure) and memory stays
 * bounded whatever the input size. Immutable; {@link #start} runs it.
 */
public final class Pipeline {
    private final BatchSource source;
    private final int readBatchSize;
    private final List<MapStage> stages;
    private final boolean preserveOrder;
    private final int maxErroredBatches;
    private final ErroredBatchHandler errorHandler;
    private final Function<BufferAllocator, ActorRuntime> runtime;
    private final int queueCapacity;
    private final Duration idleTimeout;
    private final int maxActorRestarts;
    private final Consumer<String> splitListener;

    private Pipeline(Builder builder) {
        this.source = builder.source;
        this.readBatchSize = builder.readBatchSize;
        this.stages = List.copyOf(builder.stages);
        this.preserveOrder = builder.preserveOrder;
        this.maxErroredBatches = builder.maxErroredBatches;
        this.errorHandler = builder.errorHandler;
        this.runtime = builder.runtime;
        this.queueCapacity = builder.queueCapacity;
        this.idleTimeout = builder.idleTimeout;
        this.maxActorRestarts = builder.maxActorRestarts;
        this.splitListener = builder.splitListener;
    }

    /** A pipeline reading {@code source} in batches of {@code readBatchSize} rows. */
    public static Builder builder(BatchSource source, int readBatchSize) {
        return new Builder(source, readBatchSize);
    }

    /**
     * Starts all operators on their own threads; batches come out of {@link PipelineRun#next()}.
     * Memory is allocated from children of {@code allocator}.
     */
    public PipelineRun start(BufferAllocator allocator) {
        Objects.requireNonNull(allocator, "allocator");
        return new PipelineRun(this, allocator);
    }

    BatchSource source() {
        return source;
    }

    int readBatchSize() {
        return readBatchSize;
    }

    List<MapStage> stages() {
        return stages;
    }

    boolean preserveOrder() {
        return preserveOrder;
    }

    ErrorBudget newErrorBudget() {
        return new ErrorBudget(maxErroredBatches, errorHandler);
    }

    ActorRuntime newRuntime(BufferAllocator allocator) {
        return runtime.apply(allocator);
    }

    int queueCapacity() {
        return queueCapacity;
    }

    int maxActorRestarts() {
        return maxActorRestarts;
    }

    Duration idleTimeout() {
        return idleTimeout;
    }

    Consumer<String> splitListener() {
        return splitListener;
    }

    /** Builds a {@link Pipeline}. */
    public static final class Builder {
        private final BatchSource source;
        private final int readBatchSize;
        private final List<MapStage> stages = new ArrayList<>();
        private boolean preserveOrder;
        private int maxErroredBatches;
        private ErroredBatchHandler errorHandler = (operator, range, error) -> {};
        private Function<BufferAllocator, ActorRuntime> runtime = ThreadRuntime::new;
        private int queueCapacity = 4;
        private Duration idleTimeout = Duration.ofSeconds(5);
        private int maxActorRestarts = 3;
        private Consumer<String> splitListener = split -> {};

        private Builder(BatchSource source, int readBatchSize) {
            this.source = Objects.requireNonNull(source, "source");
            if (readBatchSize <= 0) {
                throw new IllegalArgumentException(
                        "readBatchSize must be > 0, got " + readBatchSize);
            }
            this.readBatchSize = readBatchSize;
        }

        /** Appends a map stage. */
        public Builder stage(MapStage stage) {
            stages.add(Objects.requireNonNull(stage, "stage"));
            return this;
        }

        /** Emit each stage's batches in input order (default false: as they finish). */
        public Builder preserveOrder(boolean preserveOrder) {
            this.preserveOrder = preserveOrder;
            return this;
        }

        /**
         * Give up on at most {@code max} failing batches over the run, reporting each to {@code
         * handler}, instead of failing the run at the first one (default 0).
         */
        public Builder erroredBatches(int max, ErroredBatchHandler handler) {
            if (max < 0) {
                throw new IllegalArgumentException("maxErroredBatches must be >= 0, got " + max);
            }
            this.maxErroredBatches = max;
            this.errorHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Replace at most {@code n} actors that die over a stage's run (their in-flight batches are
         * retried on the replacements) before the run fails (default 3).
         */
        public Builder maxActorRestarts(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxActorRestarts must be >= 0, got " + n);
            }
            this.maxActorRestarts = n;
            return this;
        }

        /** Where actors run (default: {@link ThreadRuntime}); one runtime per stage and run. */
        public Builder runtime(Function<BufferAllocator, ActorRuntime> runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            return this;
        }

        /** Batches each queue between operators holds (default 4). */
        public Builder queueCapacity(int capacity) {
            if (capacity <= 0) {
                throw new IllegalArgumentException("queueCapacity must be > 0, got " + capacity);
            }
            this.queueCapacity = capacity;
            return this;
        }

        /** How long an autoscaling pool keeps an idle actor above its minimum (default 5 s). */
        public Builder idleTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("idleTimeout must be >= 0, got " + timeout);
            }
            this.idleTimeout = timeout;
            return this;
        }

        /**
         * Called with each split (a source batch's {@code range().source()}, e.g. a file) once
         * every batch made from it has come out of {@link PipelineRun#next()} or was given up on;
         * on the consumer's thread, between two batches.
         */
        public Builder onSplitEnd(Consumer<String> listener) {
            this.splitListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public Pipeline build() {
            return new Pipeline(this);
        }
    }
}
