package io.rayzerocopy;

import io.rayzerocopy.internal.data.Roots;
import io.rayzerocopy.internal.model.ActorScope;
import io.rayzerocopy.spi.BatchProcessor;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Runs a {@link BatchFn} as an actor of the executor; owns what the function loaded while it was
 * constructed (see {@link ActorScope}).
 */
final class FnProcessor implements BatchProcessor {
    /** Constructs a function; what it loads from wrappers meanwhile belongs to its actor. */
    @FunctionalInterface
    interface Constructor {
        BatchFn construct() throws Exception;
    }

    private final BatchFn fn;
    private final String name;
    private final boolean closeFn;
    private final ActorScope scope;

    private FnProcessor(BatchFn fn, String name, boolean closeFn, ActorScope scope) {
        this.fn = fn;
        this.name = name;
        this.closeFn = closeFn;
        this.scope = scope;
    }

    /** An actor running the function {@code constructor} makes; closes it when the actor stops. */
    static FnProcessor construct(Constructor constructor, String name) throws Exception {
        ActorScope scope = ActorScope.enter();
        BatchFn fn;
        try {
            fn = constructor.construct();
        } catch (Exception | Error e) {
            scope.exit();
            scope.close();
            throw e;
        }
        scope.exit();
        return new FnProcessor(fn, name, true, scope);
    }

    /** An actor calling one shared, stateless function, which it never closes. */
    static FnProcessor shared(BatchFn fn, String name) {
        return new FnProcessor(fn, name, false, null);
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
            return batch.withCounters(
                    result == input
                            ? Roots.slice(input, 0, input.getRowCount(), allocator)
                            : result);
        } finally {
            batch.release();
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (closeFn) {
                fn.close();
            }
        } finally {
            if (scope != null) {
                scope.close();
            }
        }
    }
}
