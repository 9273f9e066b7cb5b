package io.rayzerocopy.internal.exec;

import io.rayzerocopy.DatasetException;
import io.rayzerocopy.internal.data.BatchMetadata;
import io.rayzerocopy.internal.data.Roots;
import io.rayzerocopy.internal.data.RowRange;
import io.rayzerocopy.internal.data.SettingNames;
import io.rayzerocopy.internal.data.SourceBatch;
import io.rayzerocopy.spi.ActorDiedException;
import io.rayzerocopy.spi.ActorRuntime;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * in input order when asked. A result may have any number of rows (a function filters or explodes);
 * it keeps the input rows it was made from as its range. A window of permits bounds the batches
 * between being taken and being emitted, so memory stays bounded even while results wait for an
 * earlier batch.
 *
 * <p>The end of a split is passed on only after every batch of that split has been emitted (or
 * given up on), so whoever is downstream knows that split's output is complete.
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

    /** Marks, among finished items waiting for an earlier one, a batch that was given up on. */
    private static final Item ERRORED = Item.of(null);

    /** Finished items waiting for an earlier one (ordered mode); guarded by emitLock. */
    private final Map<Long, Item> pending = new TreeMap<>();

    /** Batches of each split submitted and not yet emitted (unordered mode); under emitLock. */
    private final Map<String, Integer> inFlightBySplit = new HashMap<>();

    /** Splits whose end arrived while some of their batches were in flight; under emitLock. */
    private final Set<String> endedSplits = new HashSet<>();

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
                if (item.splitEnd != null) {
                    endSplit(seq++, item);
                    continue;
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
            pending.values().stream()
                    .filter(item -> item.batch != null)
                    .forEach(item -> item.batch.close());
            pending.clear();
        }
        tracker.finish();
        LOG.info("{} done: {}; {}", name, tracker.snapshot(), pool.summary());
        if (!state.stopped()) {
            state.put(output, Item.END, tracker.blockedNanos);
        }
    }

    /**
     * Cuts {@code batch} into pieces of at most the stage's batch size. Pieces of an aligned batch
     * get their own rows' range; pieces of a batch a function made keep the whole range they derive
     * from.
     */
    private List<SourceBatch> cut(SourceBatch batch) {
        if (batch.rowCount() <= stage.batchSize()) {
            return List.of(batch);
        }
        List<SourceBatch> pieces = new ArrayList<>();
        try (batch) {
            for (int from = 0; from < batch.rowCount(); from += stage.batchSize()) {
                int rows = Math.min(stage.batchSize(), batch.rowCount() - from);
                VectorSchemaRoot slice = Roots.slice(batch.root(), from, rows, allocator);
                pieces.add(
                        batch.aligned()
                                ? new SourceBatch(slice, batch.range().slice(from, rows))
                                : new SourceBatch(slice, batch.range(), false));
            }
        }
        return pieces;
    }

    /** Passes the end of a split on once all its batches have been emitted. */
    private void endSplit(long seq, Item end) {
        synchronized (emitLock) {
            if (preserveOrder) {
                pending.put(seq, end);
                drainInOrder();
            } else if (inFlightBySplit.containsKey(end.splitEnd)) {
                endedSplits.add(end.splitEnd);
            } else {
                state.put(output, end, tracker.blockedNanos);
            }
        }
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
        if (!preserveOrder) {
            synchronized (emitLock) {
                inFlightBySplit.merge(piece.split(), 1, Integer::sum);
            }
        }
        call(seq, piece, actor);
    }

    /** Sends {@code piece} to {@code actor}; the caller has counted it as outstanding. */
    private void call(long seq, SourceBatch piece, ActorPool.Member actor) {
        long submitted = System.nanoTime();
        CompletableFuture<VectorSchemaRoot> call;
        try {
            // A batch a function made from its input has no rows of a file to name.
            call =
                    actor.handle.submit(
                            piece.aligned()
                                    ? BatchMetadata.withOrigin(piece.root(), piece.range())
                                    : piece.root(),
                            allocator);
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
            String split = piece.split();
            boolean aligned =
                    piece.aligned() && result != null && result.getRowCount() == piece.rowCount();
            piece.close();
            if (cause == null) {
                result = BatchMetadata.takeCounters(result, tracker.counters);
            }
            SourceBatch done = null;
            if (cause == null) {
                done = new SourceBatch(result, range, aligned);
                tracker.produced(result.getRowCount());
            } else if (!state.stopped()) {
                recordError(range, cause);
            }
            emit(seq, split, done);
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
                String split = piece.split();
                piece.close();
                emit(seq, split, null);
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
                                            ? "; to record failed batches instead, allow them with "
                                                    + SettingNames.MAX_ERRORED_BATCHES
                                            : "; more than the "
                                                    + errors.max()
                                                    + " allowed errored batches ("
                                                    + SettingNames.MAX_ERRORED_BATCHES
                                                    + ")"),
                            cause));
        }
    }

    /**
     * Emits the result of piece {@code seq} of {@code split} ({@code null}: it was given up on),
     * and the split's end if it was waiting for this batch.
     */
    private void emit(long seq, String split, SourceBatch done) {
        synchronized (emitLock) {
            if (preserveOrder) {
                pending.put(seq, done == null ? ERRORED : Item.of(done));
                drainInOrder();
                return;
            }
            put(done);
            window.release();
            if (inFlightBySplit.merge(split, -1, Integer::sum) == 0) {
                inFlightBySplit.remove(split);
                if (endedSplits.remove(split)) {
                    state.put(output, Item.splitEnd(split), tracker.blockedNanos);
                }
            }
        }
    }

    /** Emits the finished items that no earlier item waits for; called under emitLock. */
    private void drainInOrder() {
        while (pending.containsKey(nextToEmit)) {
            Item item = pending.remove(nextToEmit);
            nextToEmit++;
            if (item.splitEnd != null) {
                state.put(output, item, tracker.blockedNanos);
                continue;
            }
            put(item == ERRORED ? null : item.batch);
            window.release();
        }
    }

    private void put(SourceBatch batch) {
        if (batch != null && !state.put(output, Item.of(batch), tracker.blockedNanos)) {
            batch.close();
        }
    }
}
