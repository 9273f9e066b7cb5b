package io.rayzerocopy.spi;

import io.rayzerocopy.BatchIterator;
import io.rayzerocopy.ExecutionStats;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.Progress;
import io.rayzerocopy.WriteResult;

import java.io.Serializable;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A dataset handed to a {@link JobRuntime}, made by core: its input cut into {@link Split}s, a
 * serializable {@link Runner} that runs the dataset's map stages over one split in another JVM, an
 * {@link Output} that adopts what tasks wrote and commits once, and what stays on the driver
 * (settings, progress, statistics). A job runtime schedules one task per split, runs {@code
 * runner().writeParquet} in each into an attempt directory of its own, adopts exactly one attempt
 * per split into the output, and commits.
 */
@Experimental
public interface JobPlan {

    /** The runtime's name and settings ({@code spark.master}, ...). */
    RuntimeSettings settings();

    /** Errored batches allowed over the whole job. */
    int maxErroredBatches();

    /** The dataset's maps and options, to ship to the tasks. */
    Runner runner();

    /**
     * The input cut into splits of whole row groups, at most {@code maxRowsPerSplit} rows each
     * ({@code Long.MAX_VALUE}: one per file; a larger row group is a split alone), in read order.
     * Reads the footers and checks that every file has the selected columns with the first file's
     * types.
     *
     * @throws IllegalArgumentException if the dataset does not read Parquet files, or the files
     *     disagree (naming both)
     */
    List<Split> splits(long maxRowsPerSplit);

    /**
     * Opens the job's output at {@code directory}: a staging area next to it that records the job
     * run over {@code splits}, so that with {@link ParquetWriteOptions#resume()} a later run skips
     * the splits this one committed ({@link Output#resumedSplits()}).
     *
     * @throws IllegalArgumentException if the directory exists and the save mode forbids it, or a
     *     run to resume recorded another job
     */
    Output openOutput(String directory, ParquetWriteOptions options, List<Split> splits);

    /** Tells the dataset's progress listener about rows committed by finished tasks. */
    void reportProgress(Progress progress);

    /** Tells the dataset its job's statistics, once, when the job completed. */
    void reportFinished(ExecutionStats stats);

    /** One piece of the input, for one task. Serializable: it travels to the task. */
    @Experimental
    interface Split extends Serializable {
        /** What names the split in the job and in a resumed run, e.g. {@code a.parquet row groups [0, 3)}. */
        String name();

        /** Its rows, from the footers. */
        long rows();
    }

    /**
     * The dataset's map stages and execution options, applied to one split: runs in the JVM of a
     * task, with the actors of the runtime there (for {@code spark}: threads of the executor).
     */
    @Experimental
    interface Runner extends Serializable {

        /**
         * Runs the maps over {@code split} and writes the result, committed, into {@code
         * directory}, telling {@code progress} after each written batch.
         */
        WriteResult writeParquet(
                Split split,
                String directory,
                ParquetWriteOptions options,
                Consumer<Progress> progress);

        /** Runs the maps over {@code split}; batches as they come. */
        BatchIterator iterBatches(Split split);

        /** The most actors the maps' pools run at once over one split, all stages together. */
        int maxActors();

        /** The maps, for logs: {@code map(ModelScorer::new) -> ...}. */
        String describe();
    }

    /**
     * The job's output while it runs, on the driver: tasks' committed attempts are adopted split by
     * split, and {@link #commit()} makes them the output at once. Closing it without committing
     * leaves the output location as it was (a resumable run keeps its staging area).
     */
    @Experimental
    interface Output extends AutoCloseable {
        /** The output location, normalized. */
        String directory();

        /** Names of splits a run that died committed, which this run skips. */
        Set<String> resumedSplits();

        /** Rows those splits hold. */
        long resumedRows();

        /**
         * A directory for the attempts of tasks, inside the staging area, so that what a killed
         * driver leaves is removed with it. Delete it when no attempt runs any more.
         */
        AttemptArea attempts(String name);

        /**
         * Adopts the committed output a task's attempt wrote at {@code attempt} as split {@code
         * split} (recorded at once, so a later run can resume from here); returns its rows.
         */
        long adopt(String split, String attempt);

        /** Rows adopted and resumed so far. */
        long rows();

        /** Commits the output atomically; returns its files, in split order. */
        List<String> commit();

        @Override
        void close();
    }

    /**
     * Where the attempts of a job's tasks write, reachable from every task (a path or a Hadoop
     * {@code FileSystem} URI). Serializable: tasks get it, and with it the driver's file system
     * settings.
     */
    @Experimental
    interface AttemptArea extends Serializable {
        /**
         * In a task: creates the directory of attempt {@code attempt} and returns where that
         * attempt writes its output. Fails once the driver has deleted the area, so a late attempt
         * never recreates it.
         */
        String create(String attempt);

        /** On the driver: deletes the area and every attempt in it; failures are logged. */
        void delete();
    }
}
