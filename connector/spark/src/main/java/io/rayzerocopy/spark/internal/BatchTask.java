package io.rayzerocopy.spark.internal;

import io.rayzerocopy.BatchIterator;
import io.rayzerocopy.spi.ArrowBatches;
import io.rayzerocopy.spi.JobPlan;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.util.TaskCompletionListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * One Spark task of a dataset read back to the driver ({@code iterBatches}): runs the dataset's
 * maps over its split and yields each batch as Arrow IPC bytes.
 */
final class BatchTask implements FlatMapFunction<Iterator<JobPlan.Split>, byte[]> {
    private static final long serialVersionUID = 1L;
    private final JobPlan.Runner runner;

    BatchTask(JobPlan.Runner runner) {
        this.runner = runner;
    }

    @Override
    public Iterator<byte[]> call(Iterator<JobPlan.Split> splits) {
        JobPlan.Split split = splits.next();
        BatchIterator batches = runner.iterBatches(split);
        TaskContext task = TaskContext.get();
        if (task != null) {
            // Also when the task fails or stops early: the pool's threads end.
            task.addTaskCompletionListener((TaskCompletionListener) context -> batches.close());
        }
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                if (batches.hasNext()) {
                    return true;
                }
                batches.close();
                return false;
            }

            @Override
            public byte[] next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                try {
                    return ArrowBatches.toIpc(batches.next());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot send a batch to the driver", e);
                }
            }
        };
    }
}
