package io.rayzerocopy.internal.exec;

import io.rayzerocopy.BatchIterator;
import io.rayzerocopy.ExecutionStats;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.Progress;
import io.rayzerocopy.WriteResult;
import io.rayzerocopy.internal.data.BatchSource;
import io.rayzerocopy.internal.data.JobRecord;

import java.io.Serializable;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A dataset handed to a {@link JobRuntime}: its source (which the runtime cuts into splits), a
 * serializable {@link Runner} that runs the dataset's map stages over one split in another JVM, and
 * the settings that stay on the driver.
 *
 * @param source what the dataset reads
 * @param runner the dataset's maps and options, to ship to the tasks
 * @param settings the runtime's name and settings ({@code spark.master}, ...)
 * @param maxErroredBatches errored batches allowed over the whole job
 * @param progress told about rows committed by finished tasks
 * @param finished told the job's statistics once it completed
 */
public record JobPlan(
        BatchSource source,
        Runner runner,
        RuntimeSettings settings,
        int maxErroredBatches,
        Consumer<Progress> progress,
        Consumer<ExecutionStats> finished) {

    public JobPlan {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(runner, "runner");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(finished, "finished");
    }

    /**
     * The dataset's map stages and execution options, applied to one split: runs in the JVM of a
     * task, with the actors of the runtime there (for {@code spark}: threads of the executor).
     */
    public interface Runner extends Serializable {

        /**
         * Runs the maps over {@code split} and writes the result into {@code directory}, telling
         * {@code progress} after each written batch.
         */
        WriteResult writeParquet(
                BatchSource split,
                String directory,
                ParquetWriteOptions options,
                Consumer<Progress> progress);

        /** Runs the maps over {@code split}; batches as they come. */
        BatchIterator iterBatches(BatchSource split);

        /**
         * What a run of this job over {@code source}, cut into {@code splits} (each split's name
         * and what identifies its content, in read order), writing with {@code write}, records so
         * that a later run can resume it.
         */
        JobRecord record(
                BatchSource source, Map<String, String> splits, ParquetWriteOptions write);

        /** The most actors the maps' pools run at once over one split, all stages together. */
        int maxActors();

        /** The maps, for logs: {@code map(ModelScorer::new) -> ...}. */
        String describe();
    }
}
