package io.rayzerocopy.exec;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.RuntimeKind;
import io.rayzerocopy.model.TaskRunner;
import io.rayzerocopy.model.TaskWorkers;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Task mode on a runtime's workers (threads, worker processes or Ray actors): each worker loads the
 * wrapped model once, zero-copy, and runs calls sent to it as one-row Arrow batches holding the
 * method name and the encoded {@link NDList}; results come back the same way.
 */
public final class RuntimeTaskWorkers implements TaskRunner {
    private final BufferAllocator allocator = new RootAllocator();
    private final ActorRuntime runtime;
    private final List<ActorHandle> workers = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();

    /** Starts {@code count} workers of {@code kind}, each loading {@code wrapper}'s model. */
    public RuntimeTaskWorkers(ModelWrapper wrapper, RuntimeKind kind, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("task workers must be >= 1, got " + count);
        }
        this.runtime = Runtimes.factory(kind, 1).apply(allocator);
        for (int i = 0; i < count; i++) {
            workers.add(runtime.start(new TaskSpec(wrapper), "task-worker-" + i));
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
                                        : new java.util.concurrent.CompletionException(error);
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
        private final ModelWrapper wrapper;

        TaskSpec(ModelWrapper wrapper) {
            this.wrapper = wrapper;
        }

        @Override
        public String name() {
            return "task worker of " + wrapper;
        }

        @Override
        public BatchProcessor create() {
            Object model = wrapper.loadForTasks();
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
