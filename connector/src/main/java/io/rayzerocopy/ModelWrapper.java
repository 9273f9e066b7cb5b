package io.rayzerocopy;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;

import io.rayzerocopy.model.MappedStore;
import io.rayzerocopy.model.ModelSource;
import io.rayzerocopy.model.Pipelines;
import io.rayzerocopy.model.StoreRef;
import io.rayzerocopy.model.StoreSource;
import io.rayzerocopy.model.TaskRunner;
import io.rayzerocopy.model.TaskWorkers;
import io.rayzerocopy.model.WeightStore;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/**
 * Zero-copy model sharing: the weights of a model (or of every model in a pipeline) are written
 * once per machine to a {@link WeightStore}, and every actor maps that one copy read-only. The
 * wrapper is small and {@link Serializable} (a skeleton plus a reference to the store, never the
 * weights), so it travels to actors in other processes, where {@link #load()} maps the same store
 * in milliseconds.
 *
 * <pre>{@code
 * ModelWrapper wrapper = ModelWrapper.fromModel(TorchScriptModel.fromFile(path), Mode.ACTOR);
 * // inside each actor:
 * Model model = wrapper.load();          // zero-copy, on CPU
 * }</pre>
 *
 * <p>Models accepted: a DJL {@link Model} holding a TorchScript block, a {@link
 * io.rayzerocopy.model.TorchScriptModel} (file, or skeleton plus weights), a {@link
 * io.rayzerocopy.model.BlockModel} (a Java block and its factory), or a pipeline: any {@link
 * Serializable} object whose model fields are shared (all fields holding models, or exactly those
 * named in {@code modelAttrNames}) and whose other fields are copied.
 */
public final class ModelWrapper implements Serializable, AutoCloseable {
    private static final long serialVersionUID = 1L;

    private final Mode mode;
    private final StoreRef store;
    private final LinkedHashMap<String, ModelSource.Skeleton> models;
    private final byte[] pipeline;
    private final List<String> methodNames;
    private StoreSource source;
    private RuntimeKind taskRuntime;
    private int taskWorkers;
    private transient volatile TaskRunner workers;
    private transient WeightStore.Lease lease;

    private ModelWrapper(
            Mode mode,
            StoreRef store,
            LinkedHashMap<String, ModelSource.Skeleton> models,
            byte[] pipeline,
            List<String> methodNames) {
        this.mode = mode;
        this.store = store;
        this.models = models;
        this.pipeline = pipeline;
        this.methodNames = List.copyOf(methodNames);
    }

    /**
     * Wraps a model or pipeline for {@code mode}; every model-typed field of a pipeline is shared.
     */
    public static ModelWrapper fromModel(Object modelOrPipeline, Mode mode) {
        return fromModel(modelOrPipeline, mode, List.of(), List.of());
    }

    /**
     * Wraps a model or pipeline.
     *
     * @param modelOrPipeline a model, or a serializable pipeline holding models in its fields
     * @param mode {@link Mode#ACTOR} to {@link #load()} in actors, {@link Mode#TASK} to {@link
     *     #call}
     * @param modelAttrNames the pipeline fields to share (empty: every field holding a model)
     * @param methodNames TorchScript methods callable in task mode (empty: {@code forward})
     */
    public static ModelWrapper fromModel(
            Object modelOrPipeline,
            Mode mode,
            List<String> modelAttrNames,
            List<String> methodNames) {
        Objects.requireNonNull(modelOrPipeline, "modelOrPipeline is null: pass the model to share");
        Objects.requireNonNull(mode, "mode is null: pass Mode.ACTOR or Mode.TASK");
        Objects.requireNonNull(modelAttrNames, "modelAttrNames");
        Objects.requireNonNull(methodNames, "methodNames");
        Map<String, Object> sources;
        byte[] pipelineBytes = null;
        if (ModelSource.isModel(modelOrPipeline)) {
            if (!modelAttrNames.isEmpty()) {
                throw new IllegalArgumentException(
                        "modelAttrNames "
                                + modelAttrNames
                                + " given for a single model; they name"
                                + " the model fields of a pipeline");
            }
            sources = Map.of("", modelOrPipeline);
        } else {
            sources = Pipelines.modelFields(modelOrPipeline, modelAttrNames);
            if (sources.isEmpty()) {
                throw new IllegalArgumentException(
                        "pipeline "
                                + modelOrPipeline.getClass().getName()
                                + " has no field holding"
                                + " a model (a DJL Model, TorchScriptModel or BlockModel); name its model fields in modelAttrNames");
            }
            if (mode == Mode.TASK && !(modelOrPipeline instanceof Function)) {
                throw new IllegalArgumentException(
                        "a task-mode pipeline must implement Function<NDList, NDList> so a task"
                                + " knows what to call; "
                                + modelOrPipeline.getClass().getName()
                                + " does not");
            }
            pipelineBytes = Pipelines.serialize(modelOrPipeline, sources);
        }
        List<WeightStore.Tensor> tensors = new ArrayList<>();
        Map<String, byte[]> files = new LinkedHashMap<>();
        LinkedHashMap<String, ModelSource.Skeleton> skeletons = new LinkedHashMap<>();
        List<ModelSource.Extracted> extracted = new ArrayList<>();
        try {
            for (Map.Entry<String, Object> e : sources.entrySet()) {
                String prefix = e.getKey().isEmpty() ? "" : e.getKey() + "/";
                ModelSource.Extracted x =
                        extract(ModelSource.of(e.getValue()), prefix, methodNames, e.getKey());
                extracted.add(x);
                tensors.addAll(x.tensors());
                files.putAll(x.files());
                skeletons.put(e.getKey(), x.skeleton());
            }
            WeightStore.Lease lease = WeightStore.local().write(tensors, files);
            ModelWrapper wrapper =
                    new ModelWrapper(
                            mode,
                            lease.ref(),
                            skeletons,
                            pipelineBytes,
                            methodNames.isEmpty() ? List.of("forward") : methodNames);
            wrapper.lease = lease;
            wrapper.source = StoreSource.publish(lease.ref());
            return wrapper;
        } finally {
            for (ModelSource.Extracted x : extracted) {
                try {
                    x.close();
                } catch (Exception ignored) {
                    // the store is written; releasing the extraction copy cannot fail usefully
                }
            }
        }
    }

    private static ModelSource.Extracted extract(
            ModelSource source, String prefix, List<String> methodNames, String field) {
        try {
            return source.extract(prefix, methodNames);
        } catch (IllegalArgumentException e) {
            throw field.isEmpty()
                    ? e
                    : new IllegalArgumentException(
                            "pipeline field '" + field + "': " + e.getMessage(), e);
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    (field.isEmpty() ? "" : "pipeline field '" + field + "': ")
                            + "cannot read the model's weights: "
                            + e.getMessage(),
                    e);
        }
    }

    /** Same as {@code fromModel(model, Mode.TASK)}. */
    public static ModelWrapper forTasks(Object model) {
        return fromModel(model, Mode.TASK);
    }

    /**
     * Loads the model (or the pipeline with every model field bound) on CPU, zero-copy: the weights
     * are the shared mapping of the store. Call it once per actor. Close the returned model(s) when
     * the actor ends.
     *
     * @throws IllegalStateException on a task-mode wrapper
     * @throws io.rayzerocopy.model.StoreException if the store is missing, truncated, not owned by
     *     this user, or disagrees with the skeleton
     */
    public <T> T load() {
        return load(Device.cpu());
    }

    /**
     * Loads on {@code device}: on CPU the weights stay in the shared mapping; on a GPU they are
     * copied from the mapping to device memory.
     */
    public <T> T load(Device device) {
        if (mode != Mode.ACTOR) {
            throw new IllegalStateException(
                    "load() is for actor-mode wrappers; this one was created in task mode: use"
                            + " call(...) / submit(...), or create it with ModelWrapper.fromModel(model, Mode.ACTOR)");
        }
        return loadOn(device);
    }

    @SuppressWarnings("unchecked")
    private <T> T loadOn(Device device) {
        Objects.requireNonNull(device, "device");
        Map<String, Model> loaded = new LinkedHashMap<>();
        WeightStore local = WeightStore.at(store.root());
        if (source != null) {
            local.materialize(store, source);
        }
        try (MappedStore mapped = local.open(store)) {
            for (Map.Entry<String, ModelSource.Skeleton> e : models.entrySet()) {
                String prefix = e.getKey().isEmpty() ? "" : e.getKey() + "/";
                String name = e.getKey().isEmpty() ? store.id() : e.getKey();
                loaded.put(e.getKey(), e.getValue().bind(mapped, prefix, device, name));
            }
        } catch (RuntimeException e) {
            loaded.values().forEach(Model::close);
            throw e;
        }
        if (pipeline == null) {
            return (T) loaded.get("");
        }
        return (T) Pipelines.deserialize(pipeline, loaded);
    }

    /** Runs the model's {@code forward} as a task and waits for the result (task mode). */
    public NDList call(NDList inputs) {
        return call("forward", inputs);
    }

    /** Runs a TorchScript method named in {@code methodNames} as a task and waits (task mode). */
    public NDList call(String method, NDList inputs) {
        try {
            return submit(method, inputs).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a task", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException
                    ? (RuntimeException) cause
                    : new IllegalStateException(cause);
        }
    }

    /** Submits the model's {@code forward} as a task (task mode). */
    public CompletableFuture<NDList> submit(NDList inputs) {
        return submit("forward", inputs);
    }

    /** Submits a TorchScript method named in {@code methodNames} as a task (task mode). */
    public CompletableFuture<NDList> submit(String method, NDList inputs) {
        if (mode != Mode.TASK) {
            throw new IllegalStateException(
                    "call()/submit() are for task-mode wrappers; this one was created in actor"
                            + " mode: load() it inside an actor, or create it with ModelWrapper.forTasks(model)");
        }
        Objects.requireNonNull(inputs, "inputs");
        if (!methodNames.contains(method)) {
            throw new IllegalArgumentException(
                    "method '"
                            + method
                            + "' is not callable: this wrapper allows "
                            + methodNames
                            + " (pass methodNames to ModelWrapper.fromModel to allow others)");
        }
        if (pipeline != null && !method.equals("forward")) {
            throw new IllegalArgumentException(
                    "a pipeline has only 'forward' (its Function.apply)");
        }
        return workers().submit(method, inputs);
    }

    /**
     * Runs this task-mode wrapper's calls on {@code count} workers of {@code runtime}: threads of
     * this JVM (the default, one per core), worker processes, or Ray actors. Each worker loads the
     * model once, zero-copy. Call before the first task; returns this wrapper.
     */
    public synchronized ModelWrapper runTasksOn(RuntimeKind runtime, int count) {
        Objects.requireNonNull(runtime, "runtime");
        if (mode != Mode.TASK) {
            throw new IllegalStateException(
                    "runTasksOn is for task-mode wrappers; this one is in actor mode");
        }
        if (count < 1) {
            throw new IllegalArgumentException("task workers must be >= 1, got " + count);
        }
        if (workers != null) {
            throw new IllegalStateException(
                    "tasks already run on "
                            + taskRuntime
                            + "; choose the runtime before the first call");
        }
        this.taskRuntime = runtime;
        this.taskWorkers = count;
        return this;
    }

    /** Loads the model or pipeline for a task worker (any mode): what {@code call} runs on. */
    public Object loadForTasks() {
        return loadOn(Device.cpu());
    }

    private TaskRunner workers() {
        TaskRunner w = workers;
        if (w == null) {
            synchronized (this) {
                w = workers;
                if (w == null) {
                    int n =
                            taskWorkers > 0
                                    ? taskWorkers
                                    : Integer.getInteger(
                                            "rzc.task.workers",
                                            Math.max(
                                                    1, Runtime.getRuntime().availableProcessors()));
                    if (taskRuntime == null || taskRuntime == RuntimeKind.THREADS) {
                        w = new TaskWorkers(n, this::loadForTasks);
                    } else {
                        w = new io.rayzerocopy.exec.RuntimeTaskWorkers(this, taskRuntime, n);
                    }
                    workers = w;
                }
            }
        }
        return w;
    }

    /** The mode this wrapper was created for. */
    public Mode mode() {
        return mode;
    }

    /** The weight store holding the shared weights. */
    public StoreRef store() {
        return store;
    }

    /**
     * Names of the shared models: the pipeline's model fields, or {@code [""]} for a single model.
     */
    public List<String> modelNames() {
        return List.copyOf(models.keySet());
    }

    /** Methods callable in task mode. */
    public List<String> methodNames() {
        return methodNames;
    }

    /**
     * Stops this wrapper's task workers and, in the process that created it, releases its lease on
     * the store (the store is removed when no process uses it any more).
     */
    @Override
    public synchronized void close() {
        if (workers != null) {
            workers.close();
            workers = null;
        }
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }

    @Override
    public String toString() {
        return "ModelWrapper[" + mode + ", models=" + models.keySet() + ", " + store + "]";
    }
}
