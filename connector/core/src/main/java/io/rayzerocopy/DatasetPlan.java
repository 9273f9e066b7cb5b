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
    private final int maxErroredBatches;
    private final Consumer<Progress> progress;
    private final Consumer<ExecutionStats> finished;

    DatasetPlan(
            BatchSource source,
            List<MapStage> stages,
            Runner runner,
            RuntimeSettings settings,
            int maxErroredBatches,
            Consumer<Progress> progress,
            Consumer<ExecutionStats> finished) {
        this.source = Objects.requireNonNull(source, "source");
        this.stages = List.copyOf(stages);
        this.runner = Objects.requireNonNull(runner, "runner");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.maxErroredBatches = maxErroredBatches;
        this.progress = Objects.requireNonNull(progress, "progress");
        this.finished = Objects.requireNonNull(finished, "finished");
    }

    @Override
    public RuntimeSettings settings() {
        return settings;
    }

    @Override
    public int maxErroredBatches() {
        return maxErroredBatches;
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
        progress.accept(p);
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
