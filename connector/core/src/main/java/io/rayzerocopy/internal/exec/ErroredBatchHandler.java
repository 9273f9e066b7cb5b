package io.rayzerocopy.internal.exec;

import io.rayzerocopy.internal.data.RowRange;

/**
 * Receives each batch that failed within the allowed number of errored batches, so that its rows
 * are recorded rather than dropped. Called from actor threads, possibly concurrently.
 */
@FunctionalInterface
public interface ErroredBatchHandler {

    /** Records that {@code operator} failed on the rows of {@code range} with {@code error}. */
    void accept(String operator, RowRange range, Throwable error);
}
