package io.rayzerocopy;

import io.rayzerocopy.data.Roots;
import io.rayzerocopy.exec.BatchProcessor;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Runs a {@link BatchFn} as an actor of the executor. */
final class FnProcessor implements BatchProcessor {
    private final BatchFn fn;
    private final String name;
    private final boolean closeFn;

    FnProcessor(BatchFn fn, String name, boolean closeFn) {
        this.fn = fn;
        this.name = name;
        this.closeFn = closeFn;
    }

    @Override
    public VectorSchemaRoot process(VectorSchemaRoot input, BufferAllocator allocator)
            throws Exception {
        Batch batch = new Batch(input, allocator);
        try {
            VectorSchemaRoot result = fn.call(batch);
            if (result == null) {
                throw new IllegalStateException(
                        name + " returned null; return batch.output()...build()");
            }
            return result == input ? Roots.slice(input, 0, input.getRowCount(), allocator) : result;
        } finally {
            batch.release();
        }
    }

    @Override
    public void close() throws Exception {
        if (closeFn) {
            fn.close();
        }
    }
}
