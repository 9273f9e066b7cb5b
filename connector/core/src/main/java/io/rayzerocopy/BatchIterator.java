package io.rayzerocopy;

import org.apache.arrow.vector.VectorSchemaRoot;

import java.util.Iterator;

/**
 * Batches of a running {@link Dataset}. Each batch stays valid until the next call to {@link
 * #next()} or {@link #close()}, which frees it; close the iterator (try-with-resources) to stop the
 * run early and release its memory.
 */
public interface BatchIterator extends Iterator<VectorSchemaRoot>, AutoCloseable {

    /** Stops the run and frees the current batch. */
    @Override
    void close();
}
