package io.rayzerocopy;

import io.rayzerocopy.spi.ActorRuntime;
import io.rayzerocopy.spi.JobPlan;
import io.rayzerocopy.spi.JobRuntime;
import io.rayzerocopy.spi.RuntimeProvider;
import io.rayzerocopy.spi.RuntimeSettings;
import io.rayzerocopy.spi.Runtimes;

import org.apache.arrow.memory.BufferAllocator;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

/**
 * The job-runtime SPI as a cluster uses it, in one JVM, written only against {@code
 * io.rayzerocopy.spi}: splits planned by the plan, the runner shipped as bytes and run split by
 * split as a "task" into an attempt directory of its own, the attempts adopted into the plan's
 * output and committed once. Runtime {@value #NAME}; option {@code "splitRows"}.
 */
public final class InProcessJobs implements RuntimeProvider, JobRuntime {
    static final String NAME = "test-in-process-jobs";
    private static final ThreadLocal<Boolean> IN_TASK = ThreadLocal.withInitial(() -> false);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean runsJobs(RuntimeSettings settings) {
        return !IN_TASK.get();
    }

    @Override
    public ActorRuntime create(RuntimeSettings settings, BufferAllocator allocator) {
        return Runtimes.find(RuntimeNames.THREADS).create(settings, allocator);
    }

    @Override
    public WriteResult writeParquet(JobPlan plan, String directory, ParquetWriteOptions options) {
        long start = System.nanoTime();
        List<JobPlan.Split> splits =
                plan.splits(Long.parseLong(plan.settings().option("splitRows", "300")));
        try (JobPlan.Output output = plan.openOutput(directory, options, splits)) {
            JobPlan.Runner shipped = (JobPlan.Runner) copy(plan.runner());
            JobPlan.AttemptArea tasks = output.attempts("tasks");
            long rows = 0;
            try {
                for (int i = 0; i < splits.size(); i++) {
                    IN_TASK.set(true);
                    WriteResult task;
                    try {
                        task =
                                shipped.writeParquet(
                                        splits.get(i), tasks.create("p" + i), options, p -> {});
                    } finally {
                        IN_TASK.set(false);
                    }
                    rows += output.adopt(splits.get(i).name(), task.directory());
                    plan.reportProgress(
                            new Progress(
                                    rows,
                                    0,
                                    rows,
                                    OptionalLong.empty(),
                                    Duration.ofNanos(System.nanoTime() - start)));
                }
            } finally {
                // The output adopted what it keeps; the tasks' directories go with the job.
                tasks.delete();
            }
            List<String> files = output.commit();
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            ExecutionStats stats = new ExecutionStats(List.of(), elapsed);
            plan.reportFinished(stats);
            return new WriteResult(output.directory(), files, rows, 0, elapsed, stats, 0, 0);
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public BatchIterator iterBatches(JobPlan plan) {
        throw new UnsupportedOperationException("writeParquet only");
    }

    private static Object copy(Object value) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return in.readObject();
        }
    }
}
