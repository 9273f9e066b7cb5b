package io.rayzerocopy.internal.exec;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether a run goes on: the first failure wins, cancelling stops it. Queue operations wait in
 * short slices so that every thread notices a stop quickly without being interrupted (interrupts
 * would also hit user code, e.g. close NIO channels a model reads from).
 */
final class RunState {
    private static final long SLICE_MS = 50;

    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean cancelled;

    void fail(Throwable error) {
        failure.compareAndSet(null, error);
    }

    void cancel() {
        cancelled = true;
    }

    Throwable failure() {
        return failure.get();
    }

    boolean stopped() {
        return cancelled || failure.get() != null;
    }

    /**
     * Puts {@code item}, waiting while the queue is full; adds the time waited to {@code blocked}.
     *
     * @return false if the run stopped first (the item was not put)
     */
    boolean put(BlockingQueue<Item> queue, Item item, AtomicLong blockedNanos) {
        if (queue.offer(item)) {
            return true;
        }
        long start = System.nanoTime();
        try {
            while (!stopped()) {
                if (queue.offer(item, SLICE_MS, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(e);
            return false;
        } finally {
            blockedNanos.addAndGet(System.nanoTime() - start);
        }
    }

    /** The next item, or null if the run stopped first. */
    Item take(BlockingQueue<Item> queue) {
        try {
            while (!stopped()) {
                Item item = queue.poll(SLICE_MS, TimeUnit.MILLISECONDS);
                if (item != null) {
                    return item;
                }
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(e);
            return null;
        }
    }
}
