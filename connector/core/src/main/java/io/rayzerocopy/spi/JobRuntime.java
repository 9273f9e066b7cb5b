package io.rayzerocopy.spi;

import io.rayzerocopy.BatchIterator;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.WriteResult;

/**
 * A runtime that runs whole jobs: a {@link RuntimeProvider} that also implements this interface is
 * given a dataset's complete {@link JobPlan} instead of being asked for actors, and schedules its
 * pieces itself (the {@code spark} runtime: one cluster task per split, each running the plan's
 * reader, actor pool and writer in an executor). {@code Dataset.writeParquet} and {@code
 * iterBatches} (and so {@code take}, {@code count} and {@code schema} with a map) delegate here.
 *
 * <p>A task runs its split through {@link JobPlan.Runner}, whose dataset names the same runtime:
 * there {@link #runsJobs} must answer {@code false}, and the provider's {@link
 * RuntimeProvider#create} gives the actors of that task.
 */
@Experimental
public interface JobRuntime {

    /**
     * Whether a dataset on this runtime, run in this thread, is handed over as a whole: {@code
     * true} on a driver, {@code false} inside one of the runtime's own tasks, where the dataset
     * runs here on the actors of {@link RuntimeProvider#create}.
     */
    boolean runsJobs(RuntimeSettings settings);

    /**
     * Runs {@code plan} and commits its output at {@code directory} once, atomically, as {@code
     * Dataset.writeParquet} does: a failed job leaves the directory as it was. Everything that can
     * be checked without running (the output, the input files and columns, the runtime's settings)
     * is checked before any work is scheduled.
     *
     * @throws IllegalArgumentException on a bad output, input or setting, before anything runs
     * @throws io.rayzerocopy.DatasetException if the job fails
     */
    WriteResult writeParquet(JobPlan plan, String directory, ParquetWriteOptions options);

    /** Runs {@code plan} and returns its batches as they come, in split order. */
    BatchIterator iterBatches(JobPlan plan);
}
