package io.rayzerocopy.internal.exec;

import io.rayzerocopy.OperatorStats;
import io.rayzerocopy.spi.Results;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Live counters of one operator, snapshotted into {@link OperatorStats}. */
final class OperatorTracker {
    final String name;
    final AtomicLong rows = new AtomicLong();
    final AtomicLong batches = new AtomicLong();
    final AtomicLong erroredRows = new AtomicLong();
    final AtomicLong busyNanos = new AtomicLong();
    final AtomicLong blockedNanos = new AtomicLong();
    final Map<String, Long> counters = new ConcurrentHashMap<>();
    private volatile long startNanos;
    private volatile long endNanos;

    OperatorTracker(String name) {
        this.name = name;
    }

    void start() {
        startNanos = System.nanoTime();
    }

    void finish() {
        endNanos = System.nanoTime();
    }

    void produced(long batchRows) {
        rows.addAndGet(batchRows);
        batches.incrementAndGet();
    }

    OperatorStats snapshot() {
        long start = startNanos;
        long end = endNanos != 0 ? endNanos : System.nanoTime();
        return Results.operatorStats(
                name,
                rows.get(),
                batches.get(),
                erroredRows.get(),
                Duration.ofNanos(start == 0 ? 0 : end - start),
                Duration.ofNanos(busyNanos.get()),
                Duration.ofNanos(blockedNanos.get()),
                counters);
    }
}
