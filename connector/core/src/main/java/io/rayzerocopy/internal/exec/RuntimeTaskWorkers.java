package io.rayzerocopy.internal.exec;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import io.rayzerocopy.internal.data.Allocators;
import io.rayzerocopy.internal.model.TaskRunner;
import io.rayzerocopy.internal.model.TaskWorkers;
import io.rayzerocopy.spi.ActorHandle;
import io.rayzerocopy.spi.ActorRuntime;
import io.rayzerocopy.spi.ActorSpec;
import io.rayzerocopy.spi.BatchProcessor;
import io.rayzerocopy.spi.RuntimeSettings;
import io.rayzerocopy.spi.Runtimes;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Task mode on a runtime's workers (threads, worker processes or Ray actors): each worker loads the
 * wrapped model once, zero-copy, and runs calls sent to it as one-row Arrow batches holding the
 * method name and the encoded {@link NDList}; results come back the same way.
 */
public final class RuntimeTaskWorkers implements TaskRunner {
    /** Loads the model or pipeline a task worker runs; travels to the worker. */
    @FunctionalInterface
    public interface TaskLoader extends Serializable {
        /** Loads once per worker, zero-copy. */
        Object load();
    }

    private final BufferAllocator allocator = Allocators.child("task-workers");
    private final ActorRuntime runtime;
    private final List<ActorHandle> workers = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();

    /**
     * Starts {@code count} workers of the runtime {@code settings} name, each loading its model
     * with {@code loader}; {@code what} names the model in logs.
     */
    public RuntimeTaskWorkers(RuntimeSettings settings, int count, TaskLoader loader, String what) {
        if (count < 1) {
            throw new IllegalArgumentException("task workers must be >= 1, got " + count);
        }
        this.runtime = Runtimes.find(settings.runtime()).create(settings, allocator);
        for (int i = 0; i < count; i++) {
            workers.add(runtime.start(new TaskSpec(loader, what), "task-worker-" + i));
        }
    }

    @Override
    public CompletableFuture<NDList> submit(String method, NDList inputs) {
        NDManager owner = inputs.head().getManager();
        VectorSchemaRoot request = encode(method, inputs.encode(), allocator);
        ActorHandle worker = workers.get(Math.floorMod(next.getAndIncrement(), workers.size()));
        return worker.ready()
                .thenCompose(v -> worker.submit(request, allocator))
                .handle(
                        (response, error) -> {
                            request.close();
                            if (error != null) {
                                throw error instanceof RuntimeException
                                        ? (RuntimeException) error
                                        : new CompletionException(error);
                            }
                            try (VectorSchemaRoot r = response) {
                                return NDList.decode(
                                        owner, ((VarBinaryVector) r.getVector("ndlist")).get(0));
                            }
                        });
    }

    @Override
    public void close() {
        runtime.close();
        allocator.close();
    }

    static VectorSchemaRoot encode(String method, byte[] ndlist, BufferAllocator allocator) {
        VarBinaryVector m = new VarBinaryVector("method", allocator);
        VarBinaryVector data = new VarBinaryVector("ndlist", allocator);
        m.allocateNew(1);
        data.allocateNew(1);
        m.setSafe(0, method.getBytes(StandardCharsets.UTF_8));
        data.setSafe(0, ndlist);
        m.setValueCount(1);
        data.setValueCount(1);
        return VectorSchemaRoot.of(m, data);
    }

    /** A task worker: loads the model once, then decodes, runs and encodes each call. */
    static final class TaskSpec implements ActorSpec {
        private static final long serialVersionUID = 1L;
        private final TaskLoader loader;
        private final String what;

        TaskSpec(TaskLoader loader, String what) {
            this.loader = loader;
            this.what = what;
        }

        @Override
        public String name() {
            return "task worker of " + what;
        }

        @Override
        public BatchProcessor create() {
            Object model = loader.load();
            return new BatchProcessor() {
                @Override
                public VectorSchemaRoot process(VectorSchemaRoot input, BufferAllocator out) {
                    String method =
                            new String(
                                    ((VarBinaryVector) input.getVector("method")).get(0),
                                    StandardCharsets.UTF_8);
                    try (NDManager manager = NDManager.newBaseManager()) {
                        NDList args =
                                NDList.decode(
                                        manager,
                                        ((VarBinaryVector) input.getVector("ndlist")).get(0));
                        NDList result = TaskWorkers.run(model, method, args);
                        return encode(method, result.encode(), out);
                    }
                }

                @Override
                public void close() throws Exception {
                    if (model instanceof AutoCloseable) {
                        ((AutoCloseable) model).close();
                    }
                }
            };
        }
    }
}
