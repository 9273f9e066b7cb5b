package io.rayzerocopy.internal.exec;

import io.rayzerocopy.DatasetException;
import io.rayzerocopy.internal.data.BatchMetadata;
import io.rayzerocopy.internal.data.Roots;
import io.rayzerocopy.internal.data.RowRange;
import io.rayzerocopy.internal.data.SourceBatch;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs one {@link MapStage}: takes batches from its input queue, cuts them to the stage's batch
 * size, sends each to an actor of its {@link ActorPool} and puts the results on its output queue,
 * in input order when asked. A window of permits bounds the batches between being taken and being
 * emitted, so memory stays bounded even while results wait for an earlier batch.
 */
final class MapOperator implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(MapOperator.class);

    private final MapStage stage;
    private final String name;
    private final BlockingQueue<Item> input;
    private final BlockingQueue<Item> output;
    private final RunState state;
    private final BufferAllocator allocator;
    private final ActorPool pool;
    private final boolean preserveOrder;
    private final ErrorBudget errors;
    private final OperatorTracker tracker;
    private final Semaphore window;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final ExecutorService retries =
            Executors.newCachedThreadPool(
                    r -> {
                        Thread t = new Thread(r, "rzc-retry");
                        t.setDaemon(true);
                        return t;
                    });
    private final Object emitLock = new Object();

    /** Finished batches waiting for an earlier one (ordered mode); null marks an errored batch. */
    private final Map<Long, SourceBatch> pending = new TreeMap<>();

    private long nextToEmit;

    MapOperator(
            MapStage stage,
            String name,
            BlockingQueue<Item> input,
            BlockingQueue<Item> output,
            RunState state,
            BufferAllocator allocator,
            ActorRuntime runtime,
            boolean preserveOrder,
            ErrorBudget errors,
            OperatorTracker tracker,
            Duration idleTimeout,
            int maxActorRestarts) {
        this.stage = stage;
        this.name = name;
        this.input = input;
        this.output = output;
        this.state = state;
        this.allocator = allocator;
        this.pool = new ActorPool(stage, name, runtime, state, idleTimeout, maxActorRestarts);
        this.preserveOrder = preserveOrder;
        this.errors = errors;
        this.tracker = tracker;
        this.window = new Semaphore(2 * stage.maxActors() * stage.maxInFlightPerActor());
    }

    @Override
    public void run() {
        tracker.start();
        try {
            pool.start();
            long seq = 0;
            while (!state.stopped()) {
                Item item = input.poll(50, TimeUnit.MILLISECONDS);
                if (item == null) {
                    pool.shrinkIdle();
                    continue;
                }
                if (item == Item.END) {
                    break;
                }
                for (SourceBatch piece : cut(item.batch)) {
                    if (state.stopped() || !acquireWindow()) {
                        piece.close();
                        continue;
                    }
                    ActorPool.Member actor = pool.acquire();
                    if (actor == null) {
                        window.release();
                        piece.close();
                        continue;
                    }
                    submit(seq++, piece, actor);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            state.fail(e);
        } catch (Throwable t) {
            state.fail(t);
        }
        finish();
    }

    private void finish() {
        try {
            synchronized (outstanding) {
                while (outstanding.get() > 0) {
                    outstanding.wait(50);
                }
            }
            retries.shutdown();
            pool.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            state.fail(e);
        } catch (Throwable t) {
            state.fail(t);
        }
        synchronized (emitLock) {
            pending.values().stream().filter(b -> b != null).forEach(SourceBatch::close);
            pending.clear();
        }
        tracker.finish();
        LOG.info("{} done: {}; {}", name, tracker.snapshot(), pool.summary());
        if (!state.stopped()) {
            state.put(output, Item.END, tracker.blockedNanos);
        }
    }

    private List<SourceBatch> cut(SourceBatch batch) {
        if (batch.rowCount() <= stage.batchSize()) {
            return List.of(batch);
        }
        List<SourceBatch> pieces = new ArrayList<>();
        try (batch) {
            for (int from = 0; from < batch.rowCount(); from += stage.batchSize()) {
                int rows = Math.min(stage.batchSize(), batch.rowCount() - from);
                pieces.add(
                        new SourceBatch(
                                Roots.slice(batch.root(), from, rows, allocator),
                                batch.range().slice(from, rows)));
            }
        }
        return pieces;
    }

    private boolean acquireWindow() throws InterruptedException {
        while (!state.stopped()) {
            if (window.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                return true;
            }
        }
        return false;
    }

    private void submit(long seq, SourceBatch piece, ActorPool.Member actor) {
        outstanding.incrementAndGet();
        call(seq, piece, actor);
    }

    /** Sends {@code piece} to {@code actor}; the caller has counted it as outstanding. */
    private void call(long seq, SourceBatch piece, ActorPool.Member actor) {
        long submitted = System.nanoTime();
        CompletableFuture<VectorSchemaRoot> call;
        try {
            call =
                    actor.handle.submit(
                            BatchMetadata.withOrigin(piece.root(), piece.range()), allocator);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        call.whenComplete((result, error) -> complete(seq, piece, actor, submitted, result, error));
    }

    private void complete(
            long seq,
            SourceBatch piece,
            ActorPool.Member actor,
            long submitted,
            VectorSchemaRoot result,
            Throwable error) {
        try {
            tracker.busyNanos.addAndGet(pool.release(actor, submitted));
            Throwable cause =
                    error instanceof CompletionException && error.getCause() != null
                            ? error.getCause()
                            : error;
            if (cause instanceof ActorDiedException
                    && !state.stopped()
                    && pool.replace(actor, (ActorDiedException) cause)) {
                outstanding.incrementAndGet();
                retries.execute(() -> retry(seq, piece));
                return;
            }
            RowRange range = piece.range();
            piece.close();
            if (cause == null) {
                result = BatchMetadata.takeCounters(result, tracker.counters);
            }
            if (cause == null && result.getRowCount() != range.rowCount()) {
                result.close();
                cause =
                        new IllegalStateException(
                                stage.actor().name()
                                        + " returned "
                                        + result.getRowCount()
                                        + " rows for a batch of "
                                        + range.rowCount()
                                        + "; mapBatches needs exactly one output row per input"
                                        + " row");
            }
            SourceBatch done = null;
            if (cause == null) {
                done = new SourceBatch(result, range);
                tracker.produced(range.rowCount());
            } else if (!state.stopped()) {
                recordError(range, cause);
            }
            emit(seq, done);
        } catch (Throwable t) {
            state.fail(t);
        } finally {
            synchronized (outstanding) {
                outstanding.decrementAndGet();
                outstanding.notifyAll();
            }
        }
    }

    /** Sends a batch whose actor died to another actor (a replacement is started by the pool). */
    private void retry(long seq, SourceBatch piece) {
        try {
            ActorPool.Member actor = pool.acquire();
            if (actor == null) {
                piece.close();
                emit(seq, null);
                synchronized (outstanding) {
                    outstanding.decrementAndGet();
                    outstanding.notifyAll();
                }
                return;
            }
            LOG.info("{}: retrying {} on actor {}", name, piece.range(), actor.handle.name());
            call(seq, piece, actor);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            state.fail(e);
        }
    }

    private void recordError(RowRange range, Throwable cause) {
        if (errors.tryUse()) {
            LOG.warn(
                    "{} failed on {} ({} of {} errored batches allowed): {}",
                    name,
                    range,
                    errors.used(),
                    errors.max(),
                    cause.toString());
            errors.handler().accept(name, range, cause);
            tracker.erroredRows.addAndGet(range.rowCount());
        } else {
            state.fail(
                    new DatasetException(
                            name
                                    + " failed on "
                                    + range
                                    + ": "
                                    + cause
                                    + (errors.max() == 0
                                            ? "; to record failed batches instead, allow them with"
                                                    + " maxErroredBatches(n)"
                                            : "; more than the "
                                                    + errors.max()
                                                    + " allowed errored batches"),
                            cause));
        }
    }

    private void emit(long seq, SourceBatch done) {
        if (!preserveOrder) {
            put(done);
            window.release();
            return;
        }
        synchronized (emitLock) {
            pending.put(seq, done);
            while (pending.containsKey(nextToEmit)) {
                put(pending.remove(nextToEmit));
                nextToEmit++;
                window.release();
            }
        }
    }

    private void put(SourceBatch batch) {
        if (batch != null && !state.put(output, new Item(batch), tracker.blockedNanos)) {
            batch.close();
        }
    }
}
