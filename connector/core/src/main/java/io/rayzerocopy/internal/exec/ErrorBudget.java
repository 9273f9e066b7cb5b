package io.rayzerocopy.internal.exec;

import java.util.concurrent.atomic.AtomicInteger;

/** How many batches a run may give up on, shared by its operators, and where they go. */
final class ErrorBudget {
    private final int max;
    private final ErroredBatchHandler handler;
    private final AtomicInteger used = new AtomicInteger();

    ErrorBudget(int max, ErroredBatchHandler handler) {
        this.max = max;
        this.handler = handler;
    }

    /** Takes one errored batch from the budget; false when the budget is spent. */
    boolean tryUse() {
        return used.incrementAndGet() <= max;
    }

    int used() {
        return Math.min(used.get(), max);
    }

    int max() {
        return max;
    }

    ErroredBatchHandler handler() {
        return handler;
    }
}
