package io.rayzerocopy;

import io.rayzerocopy.internal.FileTrees;
import io.rayzerocopy.internal.data.ParquetSink;
import io.rayzerocopy.internal.data.ParquetSplitSource;
import io.rayzerocopy.internal.exec.ActorRuntime;
import io.rayzerocopy.internal.exec.JobPlan;
import io.rayzerocopy.internal.exec.JobRuntime;
import io.rayzerocopy.internal.exec.RuntimeProvider;
import io.rayzerocopy.internal.exec.RuntimeSettings;
import io.rayzerocopy.internal.exec.ThreadRuntime;

import org.apache.arrow.memory.BufferAllocator;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

/**
 * The job-runtime SPI as a cluster uses it, in one JVM: splits planned from the source, the runner
 * shipped as bytes and run split by split as a "task" into a directory of its own, the parts
 * adopted into one sink and committed once. Runtime {@value #NAME}; option {@code "splitRows"}.
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
        return new ThreadRuntime(allocator);
    }

    @Override
    public WriteResult writeParquet(JobPlan plan, String directory, ParquetWriteOptions options) {
        long start = System.nanoTime();
        List<ParquetSplitSource> splits =
                ParquetSplitSource.plan(
                        plan.source(), Long.parseLong(plan.settings().option("splitRows", "300")));
        try (ParquetSink sink = ParquetSink.create(directory, options)) {
            JobPlan.Runner shipped = (JobPlan.Runner) copy(plan.runner());
            Path tasks = Files.createTempDirectory("rzc-tasks");
            long rows = 0;
            try {
                for (int i = 0; i < splits.size(); i++) {
                    IN_TASK.set(true);
                    WriteResult task;
                    try {
                        task =
                                shipped.writeParquet(
                                        splits.get(i),
                                        tasks.resolve("p" + i).toString(),
                                        options,
                                        p -> {});
                    } finally {
                        IN_TASK.set(false);
                    }
                    rows += sink.adopt("split " + i, task.directory());
                    plan.progress()
                            .accept(
                                    new Progress(
                                            rows,
                                            0,
                                            rows,
                                            OptionalLong.empty(),
                                            Duration.ofNanos(System.nanoTime() - start)));
                }
            } finally {
                // The sink adopted what it keeps; the tasks' directories go with the job.
                FileTrees.deleteTree(tasks);
            }
            List<String> files = sink.commit();
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            ExecutionStats stats = new ExecutionStats(List.of(), elapsed);
            plan.finished().accept(stats);
            return new WriteResult(sink.directory(), files, rows, 0, elapsed, stats, 0, 0);
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
