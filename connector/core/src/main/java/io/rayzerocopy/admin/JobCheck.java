package io.rayzerocopy.admin;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.ParquetReadOptions;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.internal.data.OutputGuard;
import io.rayzerocopy.internal.data.ParquetSink;
import io.rayzerocopy.internal.data.ParquetSource;
import io.rayzerocopy.internal.data.StagingArea;
import io.rayzerocopy.internal.storage.Storage;
import io.rayzerocopy.spi.RuntimeSettings;
import io.rayzerocopy.spi.Runtimes;

import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A job's pre-flight: everything a user can get wrong that can be found before a model loads or a
 * worker starts, each refused with a {@link JobProblem} naming the argument at fault. Built with
 * what the job will be given; {@link #check()} runs the checks in the order a job would meet them.
 * Immutable.
 *
 * <pre>{@code
 * String out = JobCheck.builder()
 *         .input(List.of("features/"))
 *         .columns(List.of("id", "features"))
 *         .model("model.pt")
 *         .output("scores/", ParquetWriteOptions.SaveMode.ERROR_IF_EXISTS)
 *         .execution(ExecutionOptions.builder().runtime(RuntimeNames.PROCESSES).build(), 4)
 *         .build()
 *         .check();
 * }</pre>
 */
public final class JobCheck {
    /** Actors per core beyond which a pool on one machine only adds start-up time and memory. */
    public static final int MAX_ACTORS_PER_CORE = 4;

    /**
     * What a worker JVM of the processes runtime costs beyond the shared weights, with room to
     * spare (measured: 78 MB idle, 95 MB median and up to 106 MB while scoring).
     */
    public static final long WORKER_JVM_BYTES = 128L << 20;

    /** The read options whose parser's messages name them. */
    private static final List<JobArgument> READ_SETTINGS =
            List.of(JobArgument.WHERE, JobArgument.PARTITION_TYPES);

    /** A copy of the builder's state, never changed: the builder may be reused. */
    private final Builder b;

    private JobCheck(Builder b) {
        this.b = b;
    }

    /** A check of nothing yet: give it the job's arguments. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the checks: the pool against the runtime and this machine, the model and weights
     * locations, the output (not the input, the model, nor a directory of the user's own; empty
     * unless overwritten; on a file system that commits), every input file (Parquet, with the
     * columns, of one type in every file), and that the output can be staged.
     *
     * @return the output location the job will write, normalized (null if no output was given)
     * @throws JobProblem for the first problem found
     */
    public String check() {
        checkActors();
        Path model = localRead(b.model, JobArgument.MODEL);
        Path weights = localRead(b.weights, JobArgument.WEIGHTS);
        if (b.output == null) {
            checkInputs();
            return null;
        }
        String out = checkOutputLocation(model, weights);
        checkRemoteRead(out, b.model, JobArgument.MODEL);
        checkRemoteRead(out, b.weights, JobArgument.WEIGHTS);
        try {
            ParquetSink.checkOutput(
                    out, b.saveMode, name(JobArgument.OUTPUT), name(JobArgument.OVERWRITE));
        } catch (IllegalArgumentException e) {
            throw problem(JobArgument.OUTPUT, e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw problem(JobArgument.OUTPUT, name(JobArgument.OUTPUT) + ": " + e.getMessage(), e);
        }
        checkInputs();
        try {
            StagingArea.checkCanStage(out);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw problem(JobArgument.OUTPUT, name(JobArgument.OUTPUT) + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * Lets the runtime start {@code actors} of the job's actors now, once {@link #check()} passed:
     * worker JVMs of {@code processes} boot while the caller loads the model. The job claims them
     * when it starts; the runtime ends those no job claims. Nothing without {@link
     * Builder#execution}.
     */
    public void startActorsEarly(int actors) {
        if (b.execution == null) {
            return;
        }
        String runtime = b.execution.runtime();
        Runtimes.find(runtime)
                .prepare(
                        new RuntimeSettings(runtime, 1, b.execution.workerJvmOptions(), Map.of()),
                        actors);
    }

    private void checkActors() {
        if (b.execution == null) {
            return;
        }
        String runtime = b.execution.runtime();
        try {
            Runtimes.find(runtime)
                    .checkJob(
                            new RuntimeSettings(
                                    runtime, 1, List.of(), b.execution.runtimeOptions()),
                            b.actors);
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(b.actors + " actors ")
                    ? problem(
                            JobArgument.ACTORS,
                            name(JobArgument.ACTORS) + " " + b.actors + ": " + e.getMessage(),
                            e)
                    : problem(JobArgument.RUNTIME_OPTIONS, e.getMessage(), e);
        }
        if (runtime.equals(RuntimeNames.THREADS) || runtime.equals(RuntimeNames.PROCESSES)) {
            checkMachineFits(runtime.equals(RuntimeNames.PROCESSES));
        }
    }

    /**
     * Refuses a pool far larger than this machine runs well: more than {@value
     * #MAX_ACTORS_PER_CORE} actors per core, or more worker JVMs than the available memory holds.
     */
    private void checkMachineFits(boolean workerJvms) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (b.actors > MAX_ACTORS_PER_CORE * cores) {
            throw problem(
                    JobArgument.ACTORS,
                    name(JobArgument.ACTORS)
                            + " "
                            + b.actors
                            + " is far more than the "
                            + cores
                            + " cores of this machine can run (each actor runs its own copy of the"
                            + " model's computation); use at most "
                            + MAX_ACTORS_PER_CORE * cores
                            + ", usually "
                            + cores,
                    null);
        }
        long available = availableMemory();
        long needed = b.actors * WORKER_JVM_BYTES;
        if (workerJvms && available > 0 && needed > available) {
            throw problem(
                    JobArgument.ACTORS,
                    String.format(
                            Locale.ROOT,
                            "%s %d worker processes need about %d MB (%d MB each before any"
                                    + " batch), but only %d MB of memory are available; use at"
                                    + " most %d",
                            name(JobArgument.ACTORS),
                            b.actors,
                            needed >> 20,
                            WORKER_JVM_BYTES >> 20,
                            available >> 20,
                            Math.max(1, available / WORKER_JVM_BYTES)),
                    null);
        }
    }

    /** The local path of a model or weights location, or null for none or a remote one. */
    private Path localRead(String location, JobArgument argument) {
        if (location == null || !Storage.isLocal(location)) {
            return null;
        }
        try {
            return Locations.localPath(location, name(argument));
        } catch (IllegalArgumentException e) {
            throw problem(argument, e.getMessage(), e);
        }
    }

    /**
     * The output location, refused if replacing it would delete what the job reads or a directory
     * of the user's own: the working or home directory, the root.
     */
    private String checkOutputLocation(Path model, Path weights) {
        List<OutputGuard.Read> reads = new ArrayList<>();
        if (model != null) {
            reads.add(new OutputGuard.Read("the " + name(JobArgument.MODEL), model));
        }
        if (weights != null) {
            reads.add(new OutputGuard.Read("the " + name(JobArgument.WEIGHTS), weights));
        }
        String out;
        try {
            out = OutputGuard.checkLocation(b.output, reads);
        } catch (IllegalArgumentException e) {
            throw problem(JobArgument.OUTPUT, name(JobArgument.OUTPUT) + ": " + e.getMessage(), e);
        }
        if (b.inputs != null) {
            try {
                source().checkOutput(out);
            } catch (IllegalArgumentException | UncheckedIOException e) {
                throw problem(
                        JobArgument.OUTPUT, name(JobArgument.OUTPUT) + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * Refuses an output on a Hadoop file system that is, holds or lies inside the model or weights
     * file there: replacing the output would delete it.
     */
    private void checkRemoteRead(String output, String read, JobArgument argument) {
        if (read == null || Storage.isLocal(read) || Storage.isLocal(output)) {
            return;
        }
        String in = Storage.normalize(read);
        String out = Storage.normalize(output);
        if (in.equals(out) || in.startsWith(out + "/") || out.startsWith(in + "/")) {
            throw problem(
                    JobArgument.OUTPUT,
                    name(JobArgument.OUTPUT)
                            + " "
                            + Storage.mask(output)
                            + " holds or is the "
                            + name(argument)
                            + " "
                            + Storage.mask(read)
                            + ": replacing it would delete what the job reads; write to a"
                            + " directory outside it",
                    null);
        }
    }

    /**
     * Every input file must open as Parquet and have the columns the job reads (its own or its
     * partition directories'), with the same types in every file; partition directories must be
     * consistent and the read options' filter fit them.
     */
    private void checkInputs() {
        if (b.inputs == null) {
            return;
        }
        String input = name(JobArgument.INPUT);
        Schema whole = inputSchema();
        List<String> files;
        try {
            // Only the partitions the filter keeps: the others' files are never opened.
            files = ParquetSource.of(b.inputs, b.read).files();
        } catch (RuntimeException e) {
            throw problem(JobArgument.INPUT, input + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw problem(
                    JobArgument.INPUT, input + " " + b.inputs + " matches no Parquet file", null);
        }
        Map<String, List<String>> columns = new LinkedHashMap<>();
        for (String file : files) {
            columns.put(file, columnsOf(file));
        }
        List<String> own = columns.get(files.get(0));
        List<String> partitionColumns =
                whole.getFields().stream()
                        .map(Field::getName)
                        .filter(c -> !own.contains(c))
                        .toList();
        columns.forEach((file, have) -> checkColumns(file, have, partitionColumns));
        try {
            Dataset.readParquet(b.read, b.inputs.toArray(String[]::new))
                    .select(new LinkedHashSet<>(b.columns).toArray(String[]::new))
                    .count();
        } catch (IllegalArgumentException e) {
            throw problem(JobArgument.INPUT, input + ": " + e.getMessage(), e);
        }
    }

    /**
     * The input's schema as the job reads it, partition columns included: the directories listed
     * and checked, the filter bound to them (a bad filter is named as such, not as the input).
     */
    private Schema inputSchema() {
        try {
            return Dataset.readParquet(b.read, b.inputs.toArray(String[]::new)).schema();
        } catch (RuntimeException e) {
            JobArgument setting = settingNamedFirst(e.getMessage());
            String message = withNames(e.getMessage());
            throw setting != null
                    ? problem(setting, message, e)
                    : problem(JobArgument.INPUT, name(JobArgument.INPUT) + ": " + message, e);
        }
    }

    private void checkColumns(String file, List<String> have, List<String> partitionColumns) {
        for (String c : b.columns) {
            if (!have.contains(c) && !partitionColumns.contains(c)) {
                throw problem(
                        JobArgument.COLUMNS,
                        name(JobArgument.INPUT)
                                + " file "
                                + file
                                + " has no column '"
                                + c
                                + "'; its columns are "
                                + have,
                        null);
            }
        }
    }

    private List<String> columnsOf(String file) {
        try {
            return ParquetSource.of(List.of(file)).schema().getFields().stream()
                    .map(Field::getName)
                    .toList();
        } catch (RuntimeException e) {
            throw problem(
                    JobArgument.INPUT,
                    name(JobArgument.INPUT)
                            + " file "
                            + file
                            + " is not readable Parquet: "
                            + e.getMessage(),
                    e);
        }
    }

    /** The read option a message of the library starts by naming (as the API does), or null. */
    private static JobArgument settingNamedFirst(String message) {
        for (JobArgument a : READ_SETTINGS) {
            if (message.startsWith(a.apiName())) {
                return a;
            }
        }
        return null;
    }

    /**
     * A message of the read options' parser, which spells the options as the API does, with the
     * caller's names for them.
     */
    private String withNames(String message) {
        String out = message;
        for (JobArgument a : READ_SETTINGS) {
            out = out.replace(a.apiName(), name(a));
        }
        return out;
    }

    private ParquetSource source() {
        try {
            return ParquetSource.of(b.inputs, b.read);
        } catch (IllegalArgumentException e) {
            throw problem(JobArgument.INPUT, name(JobArgument.INPUT) + ": " + e.getMessage(), e);
        }
    }

    private String name(JobArgument argument) {
        return b.names.getOrDefault(argument, argument.apiName());
    }

    private static JobProblem problem(JobArgument argument, String message, Throwable cause) {
        return new JobProblem(argument, message, cause);
    }

    /** MemAvailable of /proc/meminfo in bytes, or 0 where unknown. */
    private static long availableMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** What the job is given; anything not given is not checked. */
    public static final class Builder {
        private List<String> inputs;
        private ParquetReadOptions read = ParquetReadOptions.defaults();
        private List<String> columns = List.of();
        private String model;
        private String weights;
        private String output;
        private ParquetWriteOptions.SaveMode saveMode =
                ParquetWriteOptions.SaveMode.ERROR_IF_EXISTS;
        private ExecutionOptions execution;
        private int actors;
        private final Map<JobArgument, String> names = new EnumMap<>(JobArgument.class);

        private Builder() {}

        /** The Parquet files, directories or globs the job reads. */
        public Builder input(List<String> paths) {
            return input(paths, ParquetReadOptions.defaults());
        }

        /** The Parquet files, directories or globs the job reads, read with {@code options}. */
        public Builder input(List<String> paths, ParquetReadOptions options) {
            this.inputs = List.copyOf(paths);
            this.read = Objects.requireNonNull(options, "options");
            return this;
        }

        /** The columns the job reads: every input file must have them. */
        public Builder columns(List<String> columns) {
            this.columns = List.copyOf(columns);
            return this;
        }

        /** The model's location (a path, a {@code file:} or a Hadoop URI), or null. */
        public Builder model(String location) {
            this.model = location;
            return this;
        }

        /** The location of a skeleton's weights, or null. */
        public Builder weights(String location) {
            this.weights = location;
            return this;
        }

        /** The output directory (a path or URI) and what to do if it exists. */
        public Builder output(String location, ParquetWriteOptions.SaveMode mode) {
            this.output = Objects.requireNonNull(location, "location");
            this.saveMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** The runtime and its options the job runs with, and the most actors its pool has. */
        public Builder execution(ExecutionOptions options, int actors) {
            if (actors < 1) {
                throw new IllegalArgumentException("actors must be >= 1, got " + actors);
            }
            this.execution = Objects.requireNonNull(options, "options");
            this.actors = actors;
            return this;
        }

        /**
         * How messages name the arguments, e.g. a command line's flags ({@code OUTPUT ->
         * "--output"}); others keep their {@link JobArgument#apiName()}.
         */
        public Builder names(Map<JobArgument, String> names) {
            this.names.putAll(names);
            return this;
        }

        /** The check; nothing runs until {@link JobCheck#check()}. */
        public JobCheck build() {
            Builder copy = new Builder();
            copy.inputs = inputs;
            copy.read = read;
            copy.columns = columns;
            copy.model = model;
            copy.weights = weights;
            copy.output = output;
            copy.saveMode = saveMode;
            copy.execution = execution;
            copy.actors = actors;
            copy.names.putAll(names);
            return new JobCheck(copy);
        }
    }
}
