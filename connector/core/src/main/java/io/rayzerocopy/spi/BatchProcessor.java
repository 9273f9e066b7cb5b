package io.rayzerocopy.spi;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/** A constructed actor: a batch in, a batch out. Called by one thread at a time. */
@Stable
public interface BatchProcessor extends AutoCloseable {

    /**
     * Processes {@code input}, which stays owned by the caller. The result's vectors are allocated
     * from {@code allocator} (the actor's own) and the runtime takes ownership of the result.
     */
    VectorSchemaRoot process(VectorSchemaRoot input, BufferAllocator allocator) throws Exception;

    /** Releases what the actor holds; called once, on the actor's thread, when the actor stops. */
    @Override
    default void close() throws Exception {}
}
