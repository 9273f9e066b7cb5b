package io.rayzerocopy;

import io.rayzerocopy.internal.data.Allocators;
import io.rayzerocopy.internal.data.ArrowSource;
import io.rayzerocopy.internal.data.ArrowStreamSource;
import io.rayzerocopy.internal.data.BatchMetadata;
import io.rayzerocopy.internal.data.BatchReader;
import io.rayzerocopy.internal.data.BatchSource;
import io.rayzerocopy.internal.data.ItemsSource;
import io.rayzerocopy.internal.data.OutputGuard;
import io.rayzerocopy.internal.data.ParquetSink;
import io.rayzerocopy.internal.data.ParquetSource;
import io.rayzerocopy.internal.data.RangeSource;
import io.rayzerocopy.internal.data.SourceBatch;
import io.rayzerocopy.internal.exec.MapStage;
import io.rayzerocopy.spi.ActorSpec;
import io.rayzerocopy.spi.JobPlan;
import io.rayzerocopy.spi.JobRuntime;
import io.rayzerocopy.spi.RuntimeSettings;
import io.rayzerocopy.spi.Runtimes;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A lazy, streaming batch-inference plan, shaped like Ray Data:
 *
 * <pre>{@code
 * Dataset.readParquet("features/")
 *     .mapBatches(InferenceActor::new, wrapper, 256, ActorPoolStrategy.size(4))
 *     .writeParquet("out/");
 * }</pre>
 *
 * <p>Building a dataset reads nothing; an action ({@link #writeParquet}, {@link #iterBatches},
 * {@link #take}, {@link #count}, {@link #schema}) runs it. A run streams: operators run
 * concurrently, joined by bounded queues, so memory stays bounded whatever the input size. Batches
 * are Arrow {@link VectorSchemaRoot}s. Immutable and thread-safe, except that {@link #stats()}
 * reports this object's latest run.
 *
 * <p>A dataset is a plan: {@link #writeParquet} and {@link #iterBatches} (and so {@link #take},
 * {@link #count} and {@link #schema} with a map) hand it to a job runtime ({@link
 * io.rayzerocopy.spi.JobRuntime}). On a runtime that runs whole jobs ({@code "spark"}) the cluster
 * runs this dataset's maps over splits of the input, each in a task of its own, and the output is
 * committed once (docs/spark.md); on the others the local driver runs it in this JVM.
 */
public final class Dataset {
    private static final int SAMPLE_ROWS = 64;

    private final BatchSource source;
    private final List<MapStage> stages;
    private final ExecutionOptions options;
    private final InputCheck inputCheck;
    /** The model and weights files the maps read, which the output must not replace. */
    private final List<OutputGuard.Read> modelFiles;
    private final AtomicReference<ExecutionStats> lastStats = new AtomicReference<>();

    private Dataset(BatchSource source, List<MapStage> stages, ExecutionOptions options) {
        this(source, stages, options, null, List.of());
    }

    private Dataset(
            BatchSource source,
            List<MapStage> stages,
            ExecutionOptions options,
            InputCheck inputCheck,
            List<OutputGuard.Read> modelFiles) {
        this.source = source;
        this.stages = List.copyOf(stages);
        this.options = options;
        this.inputCheck = inputCheck;
        this.modelFiles = List.copyOf(modelFiles);
    }

    /**
     * Parquet files, directories (recursive; names starting with {@code .} or {@code _} skipped) or
     * globs. Batches never span two files, so a file's last batch may be short.
     */
    public static Dataset readParquet(String... paths) {
        Objects.requireNonNull(paths, "paths");
        return new Dataset(
                ParquetSource.of(Arrays.asList(paths)), List.of(), ExecutionOptions.defaults());
    }

    /**
     * As {@link #readParquet(String...)}, for a Hive-partitioned table: each {@code name=value}
     * directory level under a path adds a partition column (typed as Spark infers it, or as {@code
     * options} forces), and only the partitions {@code options}' filters keep are read; the others'
     * files are never opened (docs/storage.md#partitions).
     *
     * @throws IllegalArgumentException if the filter expression is malformed
     */
    public static Dataset readParquet(ParquetReadOptions options, String... paths) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(paths, "paths");
        return new Dataset(
                ParquetSource.of(Arrays.asList(paths), options),
                List.of(),
                ExecutionOptions.defaults());
    }

    /**
     * In-memory rows, like Ray's {@code from_items}: each map is a row from column name to value
     * (types as in {@link ItemsSource}; {@code float[]} of equal lengths become fixed-size lists).
     */
    public static Dataset fromItems(List<? extends Map<String, ?>> items) {
        return new Dataset(ItemsSource.of(items), List.of(), ExecutionOptions.defaults());
    }

    /**
     * The rows {@code id = 0 .. n-1} (one int64 column), made as they are read, like Ray's {@code
     * range}: with {@code mapBatches} it generates data of any size in bounded memory.
     */
    public static Dataset range(long n) {
        return new Dataset(RangeSource.of(n), List.of(), ExecutionOptions.defaults());
    }

    /** Copies of Arrow batches sharing one schema; the caller still owns and closes them. */
    public static Dataset fromArrow(List<VectorSchemaRoot> roots) {
        return new Dataset(ArrowSource.of(roots), List.of(), ExecutionOptions.defaults());
    }

    /** See {@link #fromArrow(List)}. */
    public static Dataset fromArrow(VectorSchemaRoot... roots) {
        return fromArrow(Arrays.asList(roots));
    }

    /**
     * A one-shot stream of Arrow batches of {@code schema}, such as another engine's rows converted
     * to Arrow as they are read: the first action reads {@code batches} (on a thread of its own)
     * and takes each batch over, closing it; a second action fails. Batches are cut to the map's
     * batch size, never merged.
     */
    public static Dataset fromArrowStream(Schema schema, Iterator<VectorSchemaRoot> batches) {
        return new Dataset(
                ArrowStreamSource.of(schema, batches), List.of(), ExecutionOptions.defaults());
    }

    /**
     * Only {@code columns}, in this order; for Parquet only these columns are read. Comes before
     * {@code mapBatches}: inside the function, return only the columns you need.
     */
    public Dataset select(String... columns) {
        if (!stages.isEmpty()) {
            throw new IllegalStateException(
                    "select() applies to the source: call it before mapBatches(); a function"
                            + " returns only the columns it puts or keeps");
        }
        return new Dataset(source.select(Arrays.asList(columns)), stages, options);
    }

    /**
     * Runs {@code factory.create(argument)} once per actor (e.g. {@code InferenceActor::new} with a
     * {@code ModelWrapper}) and calls the actor with batches of at most {@code batchSize} rows, on
     * a pool shaped by {@code compute}. {@code argument} must be Serializable. An argument that is
     * an {@link InputCheck} (e.g. {@link ModelScorer.Config}) checks the input on the driver before
     * the first actor starts.
     */
    public <C> Dataset mapBatches(
            ActorFactory<C> factory, C argument, int batchSize, ActorPoolStrategy compute) {
        Objects.requireNonNull(factory, "factory");
        return withStage(
                ActorSpecs.factory(factory, argument), batchSize, compute, argument, argument);
    }

    /**
     * Constructs {@code fnClass} once per actor with its public constructor that accepts {@code
     * constructorArgs} (Ray's {@code fn_constructor_args}), e.g. {@code
     * mapBatches(InferenceActor.class, List.of(wrapper), 256, ActorPoolStrategy.size(4))}. The
     * arguments must be Serializable.
     */
    public Dataset mapBatches(
            Class<? extends BatchFn> fnClass,
            List<?> constructorArgs,
            int batchSize,
            ActorPoolStrategy compute) {
        Objects.requireNonNull(fnClass, "fnClass");
        Objects.requireNonNull(constructorArgs, "constructorArgs");
        return withStage(
                ActorSpecs.constructor(fnClass, constructorArgs.toArray()),
                batchSize,
                compute,
                constructorArgs.stream()
                        .filter(a -> a instanceof InputCheck)
                        .findFirst()
                        .orElse(null),
                constructorArgs);
    }

    /**
     * Calls one stateless, thread-safe function on batches of at most {@code batchSize} rows, on as
     * many threads as there are cores. Its {@code close()} is not called.
     */
    public Dataset mapBatches(BatchFn fn, int batchSize) {
        Objects.requireNonNull(fn, "fn");
        return withStage(
                ActorSpecs.shared(fn),
                batchSize,
                ActorPoolStrategy.size(Runtime.getRuntime().availableProcessors()),
                fn,
                null);
    }

    /** This dataset run with {@code executionOptions} (order, errored batches). */
    public Dataset withOptions(ExecutionOptions executionOptions) {
        return new Dataset(
                source,
                stages,
                Objects.requireNonNull(executionOptions, "executionOptions"),
                inputCheck,
                modelFiles);
    }

    /** Writes the dataset to {@code directory} with default options (snappy, error if exists). */
    public WriteResult writeParquet(String directory) {
        return writeParquet(directory, ParquetWriteOptions.defaults());
    }

    /**
     * Runs the dataset and writes it as {@code part-*.parquet} files into {@code directory},
     * committed atomically: a failed job leaves the directory as it was. Errored rows (when {@link
     * ExecutionOptions#maxErroredBatches()} allows them) go to {@code directory/_errors}. An input
     * without rows gives one empty file with the output's schema.
     *
     * <p>The output is built input file by input file in a hidden directory next to {@code
     * directory}; with {@link ParquetWriteOptions#resume()}, a run of the same job that died is
     * continued from the files it had completed ({@link WriteResult#skippedSplits()}).
     *
     * @throws IllegalArgumentException before anything runs, if the directory is, contains or lies
     *     inside an input of this dataset (whatever the save mode), or exists and is not empty
     *     while the save mode is {@code ERROR_IF_EXISTS}, or input files disagree on a column's
     *     type, or a run to resume recorded another job (naming what changed)
     * @throws DatasetException if the job fails; the message names the operator, file and rows
     */
    public WriteResult writeParquet(String directory, ParquetWriteOptions writeOptions) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(writeOptions, "writeOptions");
        String output = OutputGuard.checkLocation(directory, modelFiles);
        source.checkOutput(output);
        if (stages.isEmpty()) {
            ParquetSink.checkPartitionBy(writeOptions.partitionBy(), source.schema());
        }
        Runnable unprepare = checkInput();
        try {
            return jobRuntime().writeParquet(plan(), output, writeOptions);
        } catch (RuntimeException | Error e) {
            // Workers started ahead that no actor claimed (the output's lock was taken, say).
            unprepare.run();
            throw e;
        }
    }

    /**
     * Runs the dataset and returns its batches as they come. Close the iterator to stop early.
     *
     * @throws DatasetException from {@code hasNext()} / {@code next()} if the run fails
     */
    public BatchIterator iterBatches() {
        Runnable unprepare = checkInput();
        try {
            return jobRuntime().iterBatches(plan());
        } catch (RuntimeException e) {
            unprepare.run();
            throw e;
        }
    }

    /**
     * The first {@code n} rows as maps from column name to plain Java values: Integer, Long, Float,
     * Double, Boolean, String, byte[], LocalDate, and Lists for list columns.
     */
    public List<Map<String, Object>> take(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("take(n) needs n >= 0, got " + n);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        try (BatchIterator batches = iterBatches()) {
            while (rows.size() < n && batches.hasNext()) {
                VectorSchemaRoot root = batches.next();
                for (int r = 0; r < root.getRowCount() && rows.size() < n; r++) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (FieldVector vector : root.getFieldVectors()) {
                        row.put(
                                vector.getName(),
                                vector instanceof DateDayVector days && !days.isNull(r)
                                        ? LocalDate.ofEpochDay(days.get(r))
                                        : plain(vector.getObject(r)));
                    }
                    rows.add(row);
                }
            }
        }
        return rows;
    }

    /** The number of rows; from Parquet footers alone when there is no {@code mapBatches}. */
    public long count() {
        if (stages.isEmpty() && source.rowCount().isPresent()) {
            return source.rowCount().getAsLong();
        }
        long rows = 0;
        try (BatchIterator batches = iterBatches()) {
            while (batches.hasNext()) {
                rows += batches.next().getRowCount();
            }
        }
        return rows;
    }

    /**
     * The schema of the batches this dataset produces. With {@code mapBatches} this runs the
     * dataset up to its first output batch (an input without rows is run as one empty batch, so it
     * has a schema too).
     *
     * @throws IllegalStateException if every batch failed (as {@link
     *     ExecutionOptions#maxErroredBatches()} allows), so no output batch exists
     */
    public Schema schema() {
        if (stages.isEmpty()) {
            return source.schema();
        }
        try (BatchIterator batches = iterBatches()) {
            if (!batches.hasNext()) {
                throw new IllegalStateException(
                        "every batch of the dataset failed, so the schema of its mapBatches"
                                + " output is unknown");
            }
            return batches.next().getSchema();
        }
    }

    /**
     * Per-operator statistics (rows, batches, wall time, rows/s, time blocked on backpressure) of
     * this object's latest completed run, or {@code null} before the first.
     */
    public ExecutionStats stats() {
        return lastStats.get();
    }

    @Override
    public String toString() {
        return "Dataset{"
                + source
                + stages.stream().map(s -> " -> map(" + s.name() + ")").reduce("", String::concat)
                + "}";
    }

    /**
     * This dataset with one more map; {@code argument} may be the input check, {@code
     * actorArguments} what the actor is built from (its model files are protected from the output).
     */
    private Dataset withStage(
            ActorSpec actor,
            int batchSize,
            ActorPoolStrategy compute,
            Object argument,
            Object actorArguments) {
        Objects.requireNonNull(compute, "compute");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        List<MapStage> all = new ArrayList<>(stages);
        all.add(
                new MapStage(
                        actor.name(),
                        actor,
                        batchSize,
                        compute.minSize(),
                        compute.maxSize(),
                        compute.maxTasksInFlightPerActor(),
                        compute.cpusPerActor()));
        InputCheck check = stages.isEmpty() && argument instanceof InputCheck c ? c : inputCheck;
        List<OutputGuard.Read> files = new ArrayList<>(modelFiles);
        addModelFiles(actorArguments, files);
        return new Dataset(source, all, options, check, files);
    }

    /** The files of every wrapper in a map's argument (itself, a scorer's config, a list). */
    private static void addModelFiles(Object argument, List<OutputGuard.Read> files) {
        if (argument instanceof ModelWrapper<?> wrapper) {
            for (String file : wrapper.sourceFiles()) {
                files.add(new OutputGuard.Read("the model file", java.nio.file.Path.of(file)));
            }
        } else if (argument instanceof ModelScorer.Config config) {
            addModelFiles(config.wrapper(), files);
        } else if (argument instanceof List<?> list) {
            list.forEach(a -> addModelFiles(a, files));
        }
    }

    /**
     * Lets the runtime start the first stage's actors now (worker JVMs boot meanwhile), then checks
     * the input; if the check fails, the runtime drops what it started. Returns what drops it, for
     * a job that fails before its runtime exists (a started runtime drops them when it closes).
     */
    private Runnable checkInput() {
        Runnable unprepare = () -> {};
        if (!stages.isEmpty()) {
            MapStage first = stages.get(0);
            OptionalLong batches = source.batchCount(first.batchSize());
            int actors = (int) Math.min(first.minActors(), batches.orElse(Integer.MAX_VALUE));
            unprepare = Runtimes.find(options.runtime()).prepare(runtimeSettings(), actors);
        }
        try {
            checkSample();
        } catch (RuntimeException e) {
            unprepare.run();
            throw e;
        }
        return unprepare;
    }

    /**
     * Lets the first {@code mapBatches} check the input before anything starts (see {@link
     * InputCheck}), with the first rows of the input: the first non-empty batch of up to {@value
     * #SAMPLE_ROWS} rows.
     */
    private void checkSample() {
        // A one-shot stream is not sampled: reading it for the check would consume it.
        if (inputCheck == null || source instanceof ArrowStreamSource) {
            return;
        }
        try (BufferAllocator allocator = Allocators.child("input-check");
                BatchReader reader = source.open(allocator, SAMPLE_ROWS)) {
            SourceBatch batch = reader.next();
            while (batch != null && batch.rowCount() == 0) {
                batch.close();
                batch = reader.next();
            }
            if (batch == null) {
                try (VectorSchemaRoot empty = VectorSchemaRoot.create(source.schema(), allocator)) {
                    inputCheck.checkInput(empty);
                }
            } else {
                try (SourceBatch first = batch) {
                    inputCheck.checkInput(BatchMetadata.withOrigin(first.root(), first.range()));
                }
            }
        }
    }

    private RuntimeSettings runtimeSettings() {
        return new RuntimeSettings(
                options.runtime(),
                stages.isEmpty() ? 1 : stages.get(0).cpusPerActor(),
                options.workerJvmOptions(),
                options.runtimeOptions());
    }

    /**
     * The runtime that runs this whole dataset: a cluster's that runs jobs itself (Spark on its
     * driver), or the local driver, whose actors run on the runtime the options name.
     */
    private JobRuntime jobRuntime() {
        RuntimeSettings settings = runtimeSettings();
        return Runtimes.find(settings.runtime()) instanceof JobRuntime jobs
                        && jobs.runsJobs(settings)
                ? jobs
                : LocalJobRuntime.INSTANCE;
    }

    private JobPlan plan() {
        return new DatasetPlan(
                source,
                stages,
                new SplitRunner(stages, options),
                runtimeSettings(),
                options,
                lastStats::set);
    }

    /**
     * This dataset's maps and options over a split of its source, for a {@link JobRuntime}'s tasks:
     * each task runs the same dataset code on its split, in its own JVM.
     */
    private static final class SplitRunner implements JobPlan.Runner {
        private static final long serialVersionUID = 1L;
        private final List<MapStage> stages;
        private final boolean preserveOrder;
        private final int maxErroredBatches;
        private final int maxActorRestarts;
        private final String runtime;
        private final Map<String, String> runtimeOptions;
        private final List<String> workerJvmOptions;

        SplitRunner(List<MapStage> stages, ExecutionOptions options) {
            this.stages = List.copyOf(stages);
            this.preserveOrder = options.preserveOrder();
            this.maxErroredBatches = options.maxErroredBatches();
            this.maxActorRestarts = options.maxActorRestarts();
            this.runtime = options.runtime();
            this.runtimeOptions = Map.copyOf(options.runtimeOptions());
            this.workerJvmOptions = List.copyOf(options.workerJvmOptions());
        }

        @Override
        public WriteResult writeParquet(
                JobPlan.Split split,
                String directory,
                ParquetWriteOptions writeOptions,
                Consumer<Progress> progress) {
            return dataset(split, progress).writeParquet(directory, writeOptions);
        }

        @Override
        public BatchIterator iterBatches(JobPlan.Split split) {
            return dataset(split, p -> {}).iterBatches();
        }

        @Override
        public int maxActors() {
            return stages.stream().mapToInt(MapStage::maxActors).sum();
        }

        @Override
        public String describe() {
            return stages.stream()
                    .map(s -> "map(" + s.name() + ")")
                    .reduce((a, b) -> a + " -> " + b)
                    .orElse("read");
        }

        private Dataset dataset(JobPlan.Split split, Consumer<Progress> progress) {
            ExecutionOptions.Builder options =
                    ExecutionOptions.builder()
                            .progress(progress)
                            .preserveOrder(preserveOrder)
                            .maxErroredBatches(maxErroredBatches)
                            .maxActorRestarts(maxActorRestarts)
                            .runtime(runtime)
                            .workerJvmOptions(workerJvmOptions);
            runtimeOptions.forEach(options::runtimeOption);
            return new Dataset(DatasetPlan.planned(split), stages, options.build());
        }
    }

    private static Object plain(Object value) {
        if (value instanceof Text text) {
            return text.toString();
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            for (Object element : list) {
                copy.add(plain(element));
            }
            return copy;
        }
        return value;
    }
}
