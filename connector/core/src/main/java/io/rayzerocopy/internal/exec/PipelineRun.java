package io.rayzerocopy.internal.exec;

import io.rayzerocopy.DatasetException;
import io.rayzerocopy.ExecutionStats;
import io.rayzerocopy.OperatorStats;
import io.rayzerocopy.internal.data.BatchReader;
import io.rayzerocopy.internal.data.RowRange;
import io.rayzerocopy.internal.data.SourceBatch;
import io.rayzerocopy.spi.ActorRuntime;
import io.rayzerocopy.spi.Results;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

/**
 * A running {@link Pipeline}. The caller takes batches with {@link #next()} (owning and closing
 * each) and closes the run, which stops every operator and checks that no Arrow memory leaked.
 */
public final class PipelineRun implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineRun.class);
    private static final long PROGRESS_NANOS = 10_000_000_000L;

    /** The split of the empty batch a source that yields nothing is read as. */
    public static final String NO_SPLIT = "(no rows)";

    private final RunState state = new RunState();
    private final long startNanos = System.nanoTime();
    private final BufferAllocator allocator;
    private final List<BufferAllocator> operatorAllocators = new ArrayList<>();
    private final List<BlockingQueue<Item>> queues = new ArrayList<>();
    private final List<OperatorTracker> trackers = new ArrayList<>();
    private final List<ActorRuntime> runtimes = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final BlockingQueue<Item> output;
    private final Consumer<String> splitEnds;
    private long lastProgress = System.nanoTime();
    private boolean ended;
    private boolean closed;
    private long endNanos;

    PipelineRun(Pipeline pipeline, BufferAllocator parent) {
        splitEnds = pipeline.splitListener();
        allocator = parent.newChildAllocator("pipeline", 0, Long.MAX_VALUE);
        try {
            BufferAllocator readAllocator = allocator.newChildAllocator("read", 0, Long.MAX_VALUE);
            operatorAllocators.add(readAllocator);
            BlockingQueue<Item> queue = new ArrayBlockingQueue<>(pipeline.queueCapacity());
            queues.add(queue);
            OperatorTracker readTracker = new OperatorTracker("read");
            trackers.add(readTracker);
            threads.add(
                    thread("rzc-read", () -> read(pipeline, readAllocator, queue, readTracker)));
            ErrorBudget errors = pipeline.newErrorBudget();
            BlockingQueue<Item> in = queue;
            for (int i = 0; i < pipeline.stages().size(); i++) {
                MapStage stage = pipeline.stages().get(i);
                String name = "map" + (i + 1) + "(" + stage.name() + ")";
                BufferAllocator stageAllocator =
                        allocator.newChildAllocator("map" + (i + 1), 0, Long.MAX_VALUE);
                operatorAllocators.add(stageAllocator);
                ActorRuntime runtime = pipeline.newRuntime(stageAllocator);
                runtimes.add(runtime);
                BlockingQueue<Item> out = new ArrayBlockingQueue<>(pipeline.queueCapacity());
                queues.add(out);
                OperatorTracker tracker = new OperatorTracker(name);
                trackers.add(tracker);
                MapOperator operator =
                        new MapOperator(
                                stage,
                                name,
                                in,
                                out,
                                state,
                                stageAllocator,
                                runtime,
                                pipeline.preserveOrder(),
                                errors,
                                tracker,
                                pipeline.idleTimeout(),
                                pipeline.maxActorRestarts());
                threads.add(thread("rzc-map" + (i + 1), operator));
                in = out;
            }
            output = in;
        } catch (RuntimeException e) {
            closeAllocators();
            throw e;
        }
        threads.forEach(Thread::start);
    }

    /**
     * The next batch, owned by the caller, or {@code null} when every operator has finished. Before
     * returning, hands the end of every split whose batches have all been returned to the
     * pipeline's split listener, on this thread.
     *
     * @throws DatasetException (or the reader's own exception) if the run failed; the message names
     *     the operator, the file and the row range
     */
    public SourceBatch next() {
        if (ended || closed) {
            return null;
        }
        while (true) {
            throwIfFailed();
            Item item = state.take(output);
            if (item == Item.END) {
                ended = true;
                endNanos = System.nanoTime();
                LOG.info("pipeline finished: {}", stats());
                return null;
            }
            if (item != null && item.splitEnd != null) {
                // A batch that failed the run is given up on before its split's end is passed on,
                // and the failure is recorded first: check it again, or a split whose rows were
                // never written would count as done (and a resumed job would skip them).
                throwIfFailed();
                splitEnds.accept(item.splitEnd);
            } else if (item != null) {
                logProgress();
                return item.batch;
            }
        }
    }

    /** Statistics so far; complete once {@link #next()} returned null. */
    public ExecutionStats stats() {
        List<OperatorStats> operators = new ArrayList<>();
        for (OperatorTracker tracker : trackers) {
            operators.add(tracker.snapshot());
        }
        long end = endNanos != 0 ? endNanos : System.nanoTime();
        return Results.executionStats(operators, Duration.ofNanos(end - startNanos));
    }

    /**
     * Stops the run (if still going), waits for its threads, frees queued batches and closes its
     * allocators.
     *
     * @throws DatasetException if Arrow memory leaked (not raised when the run already failed)
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        state.cancel();
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (BlockingQueue<Item> queue : queues) {
            for (Item item = queue.poll(); item != null; item = queue.poll()) {
                if (item.batch != null) {
                    item.batch.close();
                }
            }
        }
        runtimes.forEach(ActorRuntime::close);
        try {
            closeAllocators();
        } catch (IllegalStateException leak) {
            if (state.failure() == null) {
                throw new DatasetException(
                        "the pipeline leaked Arrow memory: " + leak.getMessage(), leak);
            }
            LOG.warn("the failed pipeline also leaked Arrow memory: {}", leak.getMessage());
        }
    }

    private void closeAllocators() {
        IllegalStateException leak = null;
        for (BufferAllocator operatorAllocator : operatorAllocators) {
            try {
                operatorAllocator.close();
            } catch (IllegalStateException e) {
                leak = leak == null ? e : leak;
            }
        }
        try {
            allocator.close();
        } catch (IllegalStateException e) {
            leak = leak == null ? e : leak;
        }
        if (leak != null) {
            throw leak;
        }
    }

    private void read(
            Pipeline pipeline,
            BufferAllocator readAllocator,
            BlockingQueue<Item> out,
            OperatorTracker tracker) {
        tracker.start();
        try (BatchReader reader = pipeline.source().open(readAllocator, pipeline.readBatchSize())) {
            String split = null;
            boolean any = false;
            while (!state.stopped()) {
                long readStart = System.nanoTime();
                SourceBatch batch = reader.next();
                if (batch == null && !any) {
                    batch = emptyBatch(pipeline, readAllocator);
                }
                any = true;
                tracker.busyNanos.addAndGet(System.nanoTime() - readStart);
                if (split != null && (batch == null || !batch.split().equals(split))) {
                    state.put(out, Item.splitEnd(split), tracker.blockedNanos);
                }
                if (batch == null) {
                    tracker.finish();
                    state.put(out, Item.END, tracker.blockedNanos);
                    return;
                }
                split = batch.split().equals(NO_SPLIT) ? null : batch.split();
                tracker.produced(batch.rowCount());
                if (!state.put(out, Item.of(batch), tracker.blockedNanos)) {
                    batch.close();
                }
            }
        } catch (Throwable t) {
            state.fail(t);
        }
        tracker.finish();
    }

    /**
     * A batch of no rows with the source's schema, for a source that yields nothing: run through
     * the maps it gives the output its schema (an empty input still makes a readable empty output).
     * It belongs to no split of the source.
     */
    private static SourceBatch emptyBatch(Pipeline pipeline, BufferAllocator allocator) {
        VectorSchemaRoot root = VectorSchemaRoot.create(pipeline.source().schema(), allocator);
        root.setRowCount(0);
        return new SourceBatch(root, new RowRange(NO_SPLIT, 0, 0));
    }

    private void throwIfFailed() {
        Throwable failure = state.failure();
        if (failure == null) {
            return;
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        throw new DatasetException(failure.toString(), failure);
    }

    private void logProgress() {
        long now = System.nanoTime();
        if (now - lastProgress < PROGRESS_NANOS) {
            return;
        }
        lastProgress = now;
        for (OperatorTracker tracker : trackers) {
            LOG.info("progress {}", tracker.snapshot());
        }
    }

    private static Thread thread(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }
}
