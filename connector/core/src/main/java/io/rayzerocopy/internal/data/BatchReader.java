package io.rayzerocopy.internal.data;

import io.rayzerocopy.DatasetException;

/** A stream of batches from a {@link BatchSource}; not thread-safe. */
public interface BatchReader extends AutoCloseable {

    /**
     * Reads the next batch into new vectors owned by the caller, or returns {@code null} at the
     * end.
     *
     * @throws DatasetException if the data cannot be read; the message names the file
     */
    SourceBatch next();

    @Override
    void close();
}
