package io.rayzerocopy.internal.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.training.ParameterStore;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * In-JVM workers for task mode: each worker thread loads the wrapped model once (zero-copy, so a
 * load is cheap and shares the weights) on its first task and reuses it for every later task.
 * {@code io.rayzerocopy.internal.exec.RuntimeTaskWorkers} runs the same tasks on worker processes
 * or Ray.
 */
public final class TaskWorkers implements TaskRunner {
    private final ExecutorService pool;
    private final ThreadLocal<Object> loaded;
    private final List<Object> all = new ArrayList<>();

    /**
     * @param workers number of worker threads
     * @param loader loads the model or pipeline on a worker thread
     */
    public TaskWorkers(int workers, Supplier<Object> loader) {
        AtomicInteger n = new AtomicInteger();
        this.pool =
                Executors.newFixedThreadPool(
                        workers,
                        r -> {
                            Thread t = new Thread(r, "rzc-task-" + n.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        });
        this.loaded =
                ThreadLocal.withInitial(
                        () -> {
                            Object model = loader.get();
                            synchronized (all) {
                                all.add(model);
                            }
                            return model;
                        });
    }

    /**
     * Runs {@code method} of the model (or applies the pipeline) on a worker. Outputs are attached
     * to the manager of the first input, so the caller owns them.
     */
    @Override
    public CompletableFuture<NDList> submit(String method, NDList inputs) {
        NDManager owner = inputs.isEmpty() ? null : inputs.head().getManager();
        return CompletableFuture.supplyAsync(
                () -> {
                    NDList out = run(loaded.get(), method, inputs);
                    if (owner != null) {
                        out.attach(owner);
                    }
                    return out;
                },
                pool);
    }

    /**
     * Runs {@code method} of a loaded model, or applies a loaded pipeline ({@code Function<NDList,
     * NDList>}). Outputs of a type DJL cannot name (e.g. bfloat16) come back as float32, which
     * holds their values exactly: such an array aborts the JVM on decoding in another process, and
     * on {@code toString()} or {@code zerosLike()} in the caller's (see {@link TorchTypes}).
     */
    public static NDList run(Object target, String method, NDList inputs) {
        NDList out = new NDList();
        for (NDArray array : runTarget(target, method, inputs)) {
            out.add(
                    TorchTypes.named(array.getDataType())
                            ? array
                            : array.toType(DataType.FLOAT32, false));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static NDList runTarget(Object target, String method, NDList inputs) {
        if (target instanceof Model) {
            Model model = (Model) target;
            if (method.equals("forward")) {
                return model.getBlock()
                        .forward(new ParameterStore(model.getNDManager(), false), inputs, false);
            }
            PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
            IValue[] args = new IValue[inputs.size()];
            for (int i = 0; i < args.length; i++) {
                args[i] = IValue.from((PtNDArray) inputs.get(i));
            }
            IValue result = IValueUtils.runMethod(block, method, args);
            try {
                PtNDManager manager = (PtNDManager) inputs.head().getManager();
                return result.isTensor()
                        ? new NDList((NDArray) result.toTensor(manager))
                        : result.toNDList(manager);
            } finally {
                result.close();
                for (IValue a : args) {
                    a.close();
                }
            }
        }
        return ((Function<NDList, NDList>) target).apply(inputs);
    }

    @Override
    public void close() {
        pool.shutdownNow();
        synchronized (all) {
            for (Object m : all) {
                if (m instanceof AutoCloseable) {
                    try {
                        ((AutoCloseable) m).close();
                    } catch (Exception ignored) {
                        // closing a model at shutdown: nothing useful to do with a failure
                    }
                }
            }
            all.clear();
        }
    }
}
