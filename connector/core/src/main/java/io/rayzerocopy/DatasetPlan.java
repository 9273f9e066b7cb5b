package io.rayzerocopy;

import io.rayzerocopy.internal.data.BatchSource;
import io.rayzerocopy.internal.data.ParquetSink;
import io.rayzerocopy.internal.data.ParquetSplitSource;
import io.rayzerocopy.internal.exec.MapStage;
import io.rayzerocopy.spi.JobPlan;
import io.rayzerocopy.spi.RuntimeSettings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/** A {@link Dataset} as a {@link io.rayzerocopy.spi.JobRuntime} receives it. */
final class DatasetPlan implements JobPlan {
    private final BatchSource source;
    private final List<MapStage> stages;
    private final Runner runner;
    private final RuntimeSettings settings;
    private final ExecutionOptions options;
    private final Consumer<ExecutionStats> finished;

    DatasetPlan(
            BatchSource source,
            List<MapStage> stages,
            Runner runner,
            RuntimeSettings settings,
            ExecutionOptions options,
            Consumer<ExecutionStats> finished) {
        this.source = Objects.requireNonNull(source, "source");
        this.stages = List.copyOf(stages);
        this.runner = Objects.requireNonNull(runner, "runner");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.options = Objects.requireNonNull(options, "options");
        this.finished = Objects.requireNonNull(finished, "finished");
    }

    /**
     * {@code plan} as {@link LocalJobRuntime} runs it: only a plan a {@link Dataset} made.
     *
     * @throws IllegalArgumentException for a plan of another origin
     */
    static DatasetPlan local(JobPlan plan) {
        if (plan instanceof DatasetPlan dataset) {
            return dataset;
        }
        throw new IllegalArgumentException(
                "the local runtime runs the plans of a Dataset, not a " + plan.getClass().getName());
    }

    /** What the job reads. */
    BatchSource source() {
        return source;
    }

    /** The job's maps, in order. */
    List<MapStage> stages() {
        return stages;
    }

    /** How the job runs: the runtime, order, error budget, progress listener. */
    ExecutionOptions options() {
        return options;
    }

    @Override
    public RuntimeSettings settings() {
        return settings;
    }

    @Override
    public int maxErroredBatches() {
        return options.maxErroredBatches();
    }

    @Override
    public Runner runner() {
        return runner;
    }

    @Override
    public List<Split> splits(long maxRowsPerSplit) {
        return List.copyOf(ParquetSplitSource.plan(source, maxRowsPerSplit));
    }

    /** The sink records each split by its name and what identifies its file's content. */
    @Override
    public Output openOutput(String directory, ParquetWriteOptions options, List<Split> splits) {
        Map<String, String> names = new LinkedHashMap<>();
        for (Split split : splits) {
            names.put(split.name(), planned(split).fingerprint());
        }
        return ParquetSink.create(
                directory, options, JobRecords.of(source, names, stages, options));
    }

    @Override
    public void reportProgress(Progress p) {
        options.progress().accept(p);
    }

    @Override
    public void reportFinished(ExecutionStats stats) {
        finished.accept(stats);
    }

    /**
     * {@code split} as {@link #splits} made it.
     *
     * @throws IllegalArgumentException for a split of another origin
     */
    static ParquetSplitSource planned(Split split) {
        if (split instanceof ParquetSplitSource source) {
            return source;
        }
        throw new IllegalArgumentException(
                "split "
                        + split.name()
                        + " is a "
                        + split.getClass().getName()
                        + "; pass the splits JobPlan.splits returned");
    }
}
