package io.rayzerocopy;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;

import io.rayzerocopy.internal.exec.RuntimeTaskWorkers;
import io.rayzerocopy.internal.model.ActorScope;
import io.rayzerocopy.internal.model.BlockExtractor;
import io.rayzerocopy.internal.model.MappedStore;
import io.rayzerocopy.internal.model.ModelExtractor;
import io.rayzerocopy.internal.model.Pipelines;
import io.rayzerocopy.internal.model.StoreRef;
import io.rayzerocopy.internal.model.StoreShipping;
import io.rayzerocopy.internal.model.TaskRunner;
import io.rayzerocopy.internal.model.TaskWorkers;
import io.rayzerocopy.internal.model.TorchScriptExtractor;
import io.rayzerocopy.internal.model.TorchTypes;
import io.rayzerocopy.internal.model.WeightStore;
import io.rayzerocopy.internal.storage.RemoteModels;
import io.rayzerocopy.internal.storage.Storage;
import io.rayzerocopy.spi.RuntimeSettings;
import io.rayzerocopy.spi.Runtimes;
import io.rayzerocopy.spi.StoreSource;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/**
 * Zero-copy model sharing: the weights of a model (or of every model in a pipeline) are written
 * once per machine to a weight store, and every actor maps that one copy read-only. The wrapper is
 * small and {@link Serializable} (a skeleton plus a reference to the store, never the weights), so
 * it travels to actors in other processes and on other machines, where {@link #load()} maps the
 * same store in milliseconds.
 *
 * <pre>{@code
 * ModelWrapper<Model> wrapper = ModelWrapper.fromModel(model, Mode.ACTOR);
 * // inside each actor:
 * Model model = wrapper.load();          // zero-copy, on CPU
 * }</pre>
 *
 * <p>Models accepted: a DJL {@link Model} holding a TorchScript block (or a Java block registered
 * with {@link BlockModel#register}), a {@link ModelSource} ({@link TorchScriptModel}, also at a
 * URI of a Hadoop file system and then fetched once per machine; {@link BlockModel}), or a
 * pipeline: a {@link Serializable} object whose model fields are shared and
 * whose other fields are copied ({@link #fromPipeline}).
 *
 * <p>Models loaded while an actor is being constructed belong to that actor: they are closed when
 * it stops, together (all models of a pipeline at once), after the actor's own {@code close()}.
 * Elsewhere, whoever loads a model closes it.
 *
 * <p>Its value (mode, store, models, methods, task runtime) is fixed at construction; what it holds
 * in this process (its lease on the store, task workers started at the first call) ends at {@link
 * #close()}.
 *
 * @param <T> what {@link #load()} returns: a DJL {@code Model}, or the pipeline's class
 */
public final class ModelWrapper<T> implements Serializable, AutoCloseable {
    private static final long serialVersionUID = 2L;

    private final Mode mode;
    private final StoreRef store;
    private final LinkedHashMap<String, ModelExtractor.Skeleton> models;
    private final byte[] pipeline;
    private final List<String> methodNames;
    private final StoreSource source;
    private final List<String> sourceFiles;
    private final String taskRuntime;
    private final int taskWorkers;
    private transient volatile TaskRunner workers;
    private transient WeightStore.Lease lease;

    private ModelWrapper(
            Mode mode,
            StoreRef store,
            LinkedHashMap<String, ModelExtractor.Skeleton> models,
            byte[] pipeline,
            List<String> methodNames,
            StoreSource source,
            List<String> sourceFiles,
            String taskRuntime,
            int taskWorkers) {
        this.mode = mode;
        this.store = store;
        this.models = models;
        this.pipeline = pipeline;
        this.methodNames = List.copyOf(methodNames);
        this.source = source;
        this.sourceFiles = List.copyOf(sourceFiles);
        this.taskRuntime = taskRuntime;
        this.taskWorkers = taskWorkers;
    }

    /**
     * Wraps a loaded DJL model for {@code mode}: a TorchScript model ({@code model.load(path)}) or
     * a Java block model registered with {@link BlockModel#register}.
     */
    public static ModelWrapper<Model> fromModel(Model model, Mode mode) {
        return fromModel(model, mode, List.of());
    }

    /**
     * Wraps a loaded DJL model; {@code methodNames} are the TorchScript methods callable in task
     * mode (empty: {@code forward}).
     */
    public static ModelWrapper<Model> fromModel(Model model, Mode mode, List<String> methodNames) {
        Objects.requireNonNull(model, "model is null: pass the model to share");
        return wrap(Map.of("", extractor(model)), null, mode, methodNames, RuntimeNames.THREADS, 0);
    }

    /** Wraps a model described by a {@link TorchScriptModel} or {@link BlockModel}. */
    public static ModelWrapper<Model> fromModel(ModelSource model, Mode mode) {
        return fromModel(model, mode, List.of());
    }

    /**
     * Wraps a model described by a {@link TorchScriptModel} or {@link BlockModel}; {@code
     * methodNames} are the TorchScript methods callable in task mode (empty: {@code forward}).
     */
    public static ModelWrapper<Model> fromModel(
            ModelSource model, Mode mode, List<String> methodNames) {
        Objects.requireNonNull(model, "model is null: pass the model to share");
        return wrapSource(model, mode, methodNames, RuntimeNames.THREADS, 0);
    }

    /**
     * Wraps a pipeline, sharing every field that holds a model (a DJL {@code Model}, {@link
     * TorchScriptModel} or {@link BlockModel}) and copying the others. {@link #load()} returns a
     * copy of the pipeline whose model fields hold the loaded models. A task-mode pipeline
     * implements {@code Function<NDList, NDList>}.
     */
    public static <P extends Serializable> ModelWrapper<P> fromPipeline(P pipeline, Mode mode) {
        return fromPipeline(pipeline, mode, List.of());
    }

    /** Wraps a pipeline, sharing exactly the fields named in {@code modelAttrNames}. */
    public static <P extends Serializable> ModelWrapper<P> fromPipeline(
            P pipeline, Mode mode, List<String> modelAttrNames) {
        Objects.requireNonNull(pipeline, "pipeline is null: pass the pipeline to share");
        Objects.requireNonNull(mode, "mode is null: pass Mode.ACTOR or Mode.TASK");
        Objects.requireNonNull(modelAttrNames, "modelAttrNames");
        if (isModel(pipeline)) {
            throw new IllegalArgumentException(
                    "fromPipeline got a model ("
                            + pipeline.getClass().getName()
                            + "); wrap a single model with ModelWrapper.fromModel");
        }
        Map<String, Object> fields =
                Pipelines.modelFields(pipeline, modelAttrNames, ModelWrapper::isModel);
        if (fields.isEmpty()) {
            throw new IllegalArgumentException(
                    "pipeline "
                            + pipeline.getClass().getName()
                            + " has no field holding a model (a DJL Model, TorchScriptModel or"
                            + " BlockModel); name its model fields in modelAttrNames");
        }
        if (mode == Mode.TASK && !(pipeline instanceof Function)) {
            throw new IllegalArgumentException(
                    "a task-mode pipeline must implement Function<NDList, NDList> so a task"
                            + " knows what to call; "
                            + pipeline.getClass().getName()
                            + " does not");
        }
        Map<String, ModelExtractor> extractors = new LinkedHashMap<>();
        for (Map.Entry<String, Object> field : fields.entrySet()) {
            try {
                extractors.put(field.getKey(), extractor(field.getValue()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "pipeline field '" + field.getKey() + "': " + e.getMessage(), e);
            }
        }
        return wrap(
                extractors,
                Pipelines.serialize(pipeline, fields),
                mode,
                List.of(),
                RuntimeNames.THREADS,
                0);
    }

    /** Same as {@code fromModel(model, Mode.TASK)}. */
    public static ModelWrapper<Model> forTasks(Model model) {
        return fromModel(model, Mode.TASK);
    }

    /** Same as {@code fromModel(model, Mode.TASK)}. */
    public static ModelWrapper<Model> forTasks(ModelSource model) {
        return fromModel(model, Mode.TASK);
    }

    /**
     * Wraps {@code model} for task mode, its calls run on {@code workers} workers of the named
     * runtime: {@code "threads"} of this JVM, {@code "processes"}, or {@code "ray"} actors. Each
     * worker loads the model once, zero-copy.
     *
     * @throws IllegalArgumentException if the runtime is not on the classpath (the message names
     *     the artifact to add), or {@code workers < 1}
     */
    public static ModelWrapper<Model> forTasks(ModelSource model, String runtime, int workers) {
        return forTasks(model, List.of(), runtime, workers);
    }

    /**
     * {@link #forTasks(ModelSource, String, int)}, with {@code methodNames} the TorchScript methods
     * callable (empty: {@code forward}).
     */
    public static ModelWrapper<Model> forTasks(
            ModelSource model, List<String> methodNames, String runtime, int workers) {
        Objects.requireNonNull(model, "model is null: pass the model to share");
        Objects.requireNonNull(runtime, "runtime");
        if (workers < 1) {
            throw new IllegalArgumentException("task workers must be >= 1, got " + workers);
        }
        Runtimes.find(runtime);
        return wrapSource(model, Mode.TASK, methodNames, runtime, workers);
    }

    private static ModelWrapper<Model> wrapSource(
            ModelSource model, Mode mode, List<String> methodNames, String runtime, int workers) {
        if (model instanceof TorchScriptModel t && t.uri().isPresent()) {
            return wrapRemote(t, mode, methodNames, runtime, workers);
        }
        return wrap(Map.of("", extractor(model)), null, mode, methodNames, runtime, workers);
    }

    /**
     * A model on a Hadoop file system, fetched once per machine: the store its identity (or its
     * content) became is reused while it is on this machine; otherwise this process fetches it,
     * writes the store, and deletes the fetched copy at once. Concurrent wrappers of the same file
     * on this machine wait for the one fetching it.
     */
    private static ModelWrapper<Model> wrapRemote(
            TorchScriptModel model,
            Mode mode,
            List<String> methodNames,
            String runtime,
            int workers) {
        Objects.requireNonNull(mode, "mode is null: pass Mode.ACTOR or Mode.TASK");
        List<String> methods = methodNames.isEmpty() ? List.of("forward") : methodNames;
        String origin = model.toString();
        WeightStore local = WeightStore.local();
        try (RemoteModels.Turn turn =
                RemoteModels.take(
                        local.root(), model.uri().get(), model.weightsUri().orElse(null))) {
            Optional<ModelWrapper<Model>> reused =
                    turn.recorded().flatMap(r -> reuse(r, methods, origin, mode, runtime, workers));
            if (reused.isPresent()) {
                return reused.get();
            }
            List<Path> files = turn.fetch();
            String sha = turn.fetchedSha256();
            for (RemoteModels.Record same : turn.sameContent(sha)) {
                reused = reuse(same, methods, origin, mode, runtime, workers);
                if (reused.isPresent()) {
                    turn.deleteCopies();
                    turn.record(same);
                    return reused.get();
                }
            }
            // Names no source file: the user's file is remote, the fetched copy soon gone.
            ModelExtractor fetched =
                    (prefix, names) ->
                            TorchScriptExtractor.of(
                                            files.get(0), files.size() > 1 ? files.get(1) : null)
                                    .extract(prefix, names);
            ModelWrapper<Model> wrapper;
            try {
                wrapper = wrap(Map.of("", fetched), null, mode, methodNames, runtime, workers);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(namingRemote(e.getMessage(), files, model), e);
            }
            turn.deleteCopies();
            turn.record(new RemoteModels.Record(sha, wrapper.store.id(), wrapper.methodNames));
            return wrapper;
        }
    }

    /** {@code message} naming the remote files instead of their fetched copies. */
    private static String namingRemote(String message, List<Path> copies, TorchScriptModel model) {
        String named = message.replace(copies.get(0).toString(), Storage.mask(model.uri().get()));
        return copies.size() > 1
                ? named.replace(
                        copies.get(1).toString(), Storage.mask(model.weightsUri().get()))
                : named;
    }

    /** The wrapper over a recorded store, if it is still here and its methods were checked. */
    private static Optional<ModelWrapper<Model>> reuse(
            RemoteModels.Record record,
            List<String> methods,
            String origin,
            Mode mode,
            String runtime,
            int workers) {
        if (!record.methods().containsAll(methods)) {
            return Optional.empty();
        }
        return WeightStore.local()
                .reuse(record.storeId())
                .map(
                        lease -> {
                            LinkedHashMap<String, ModelExtractor.Skeleton> skeleton =
                                    new LinkedHashMap<>();
                            skeleton.put("", TorchScriptExtractor.storedSkeleton(methods, origin));
                            ModelWrapper<Model> wrapper =
                                    new ModelWrapper<>(
                                            mode,
                                            lease.ref(),
                                            skeleton,
                                            null,
                                            methods,
                                            null,
                                            List.of(),
                                            runtime,
                                            workers);
                            wrapper.lease = lease;
                            return wrapper;
                        });
    }

    private static boolean isModel(Object value) {
        return value instanceof Model || value instanceof ModelSource;
    }

    private static ModelExtractor extractor(Object model) {
        if (model instanceof TorchScriptModel t && t.uri().isPresent()) {
            throw new IllegalArgumentException(
                    t
                            + " is on a remote file system: a pipeline's models must be local"
                            + " files; wrap a remote model alone with ModelWrapper.fromModel");
        }
        if (model instanceof TorchScriptModel t) {
            return TorchScriptExtractor.of(t.file(), t.weights().orElse(null));
        }
        if (model instanceof BlockModel b) {
            return new BlockExtractor(b.factory(), b.trained());
        }
        Model djl = (Model) model;
        BlockModel registered = BlockModel.registered(djl);
        return registered != null
                ? new BlockExtractor(registered.factory(), registered.trained())
                : TorchScriptExtractor.fromDjlModel(djl);
    }

    private static <T> ModelWrapper<T> wrap(
            Map<String, ModelExtractor> extractors,
            byte[] pipeline,
            Mode mode,
            List<String> methodNames,
            String taskRuntime,
            int taskWorkers) {
        Objects.requireNonNull(mode, "mode is null: pass Mode.ACTOR or Mode.TASK");
        Objects.requireNonNull(methodNames, "methodNames");
        List<WeightStore.Tensor> tensors = new ArrayList<>();
        Map<String, byte[]> files = new LinkedHashMap<>();
        LinkedHashMap<String, ModelExtractor.Skeleton> skeletons = new LinkedHashMap<>();
        List<ModelExtractor.Extracted> extracted = new ArrayList<>();
        List<String> sourceFiles = new ArrayList<>();
        try {
            for (Map.Entry<String, ModelExtractor> e : extractors.entrySet()) {
                String prefix = e.getKey().isEmpty() ? "" : e.getKey() + "/";
                ModelExtractor.Extracted x = extract(e.getValue(), prefix, methodNames, e.getKey());
                extracted.add(x);
                tensors.addAll(x.tensors());
                files.putAll(x.files());
                skeletons.put(e.getKey(), x.skeleton());
                e.getValue().sourceFiles().forEach(f -> sourceFiles.add(f.toString()));
            }
            WeightStore.Lease lease = WeightStore.local().write(tensors, files);
            ModelWrapper<T> wrapper =
                    new ModelWrapper<>(
                            mode,
                            lease.ref(),
                            skeletons,
                            pipeline,
                            methodNames.isEmpty() ? List.of("forward") : methodNames,
                            null,
                            sourceFiles,
                            taskRuntime,
                            taskWorkers);
            wrapper.lease = lease;
            return wrapper;
        } finally {
            for (ModelExtractor.Extracted x : extracted) {
                try {
                    x.close();
                } catch (Exception ignored) {
                    // the store is written; releasing the extraction copy cannot fail usefully
                }
            }
        }
    }

    private static ModelExtractor.Extracted extract(
            ModelExtractor extractor, String prefix, List<String> methodNames, String field) {
        try {
            return extractor.extract(prefix, methodNames);
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

    /**
     * Loads the model (or the pipeline with every model field bound) on CPU, zero-copy: the weights
     * are the shared mapping of the store. Call it once per actor.
     *
     * @throws IllegalStateException on a task-mode wrapper
     * @throws StoreException if the store is missing, truncated, not owned by this user, or
     *     disagrees with the skeleton
     */
    public T load() {
        return load(Device.cpu());
    }

    /**
     * Loads on {@code device}: on CPU the weights stay in the shared mapping; on a GPU they are
     * copied from the mapping to device memory.
     */
    public T load(Device device) {
        if (mode != Mode.ACTOR) {
            throw new IllegalStateException(
                    "load() is for actor-mode wrappers; this one was created in task mode: use"
                            + " call(...) / submit(...), or create it with"
                            + " ModelWrapper.fromModel(model, Mode.ACTOR)");
        }
        return loadOn(device);
    }

    @SuppressWarnings("unchecked")
    private T loadOn(Device device) {
        Objects.requireNonNull(device, "device");
        Map<String, Model> loaded = new LinkedHashMap<>();
        WeightStore local = WeightStore.local();
        // Materializing takes a lease, kept until the mapping holds its own: nothing can remove
        // the store in between.
        try (WeightStore.Lease materialized =
                        source == null ? null : local.materialize(store, source);
                MappedStore mapped = local.open(store)) {
            for (Map.Entry<String, ModelExtractor.Skeleton> e : models.entrySet()) {
                String prefix = e.getKey().isEmpty() ? "" : e.getKey() + "/";
                String name = e.getKey().isEmpty() ? store.id() : e.getKey();
                Model model = e.getValue().bind(mapped, prefix, device, name);
                loaded.put(e.getKey(), model);
                ActorScope.own(model);
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
                            + " mode: load() it inside an actor, or create it with"
                            + " ModelWrapper.forTasks(model)");
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
        for (int i = 0; i < inputs.size(); i++) {
            if (!TorchTypes.named(inputs.get(i).getDataType())) {
                // A worker in another process would decode it with DJL, which terminates the JVM
                // for such types; refused on every runtime, so a job behaves the same on all.
                throw new IllegalArgumentException(
                        "task input "
                                + i
                                + " is a tensor of a type DJL cannot pass on (e.g. bfloat16):"
                                + " pass float32 (toType(DataType.FLOAT32, false)) and cast inside"
                                + " the model");
            }
        }
        return workers().submit(method, inputs);
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
                    if (taskRuntime.equals(RuntimeNames.THREADS)) {
                        w = new TaskWorkers(n, () -> loadOn(Device.cpu()));
                    } else {
                        w =
                                new RuntimeTaskWorkers(
                                        RuntimeSettings.of(taskRuntime),
                                        n,
                                        () -> loadOn(Device.cpu()),
                                        toString());
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

    /**
     * The weight store's id: {@code rzc-} and a prefix of the SHA-256 of the weights and skeletons,
     * so the same model always has the same id, on every machine.
     */
    public String storeId() {
        return store.id();
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

    /**
     * Sent to actors on other machines, the wrapper is replaced by a copy that carries where to get
     * its store from (see {@code StoreShipping}); sent anywhere else, it is sent as it is.
     */
    private Object writeReplace() {
        StoreSource shipped = StoreShipping.sourceFor(store);
        if (shipped == null || shipped == source) {
            return this;
        }
        return new ModelWrapper<>(
                mode,
                store,
                models,
                pipeline,
                methodNames,
                shipped,
                sourceFiles,
                taskRuntime,
                taskWorkers);
    }

    /** The user's files this wrapper's weights were read from, which a job must not replace. */
    List<String> sourceFiles() {
        return sourceFiles;
    }

    @Override
    public String toString() {
        return "ModelWrapper["
                + mode
                + ", models="
                + models.keySet()
                + ", store "
                + store.id()
                + "]";
    }
}
