package io.rayzerocopy;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The per-actor callable of {@link Dataset#mapBatches}: constructed once per actor (where the model
 * is loaded) and then called once per batch, by one thread at a time.
 *
 * <p>The result holds the output columns only (as in Ray Data); pass input columns such as ids
 * through with {@link Batch.Output#keep}. It must have one row per input row.
 */
@FunctionalInterface
public interface BatchFn extends AutoCloseable {

    /**
     * Processes one batch. Build the result with {@code batch.output()}, or allocate its vectors
     * from {@link Batch#allocator()}; the framework takes ownership of it.
     */
    VectorSchemaRoot call(Batch batch) throws Exception;

    /** Releases what the actor holds (e.g. a Predictor); called once when the actor stops. */
    @Override
    default void close() throws Exception {}
}
