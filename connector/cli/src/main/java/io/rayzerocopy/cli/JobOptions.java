package io.rayzerocopy.cli;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.ParquetReadOptions;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.internal.data.Locations;
import io.rayzerocopy.internal.data.ParquetSink;
import io.rayzerocopy.internal.data.SettingNames;
import io.rayzerocopy.internal.data.StagingArea;
import io.rayzerocopy.internal.storage.FetchedFile;
import io.rayzerocopy.internal.storage.Storage;
import io.rayzerocopy.spi.RuntimeSettings;
import io.rayzerocopy.spi.Runtimes;

import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Parsing and checks shared by {@code demo} and {@code score}. */
final class JobOptions {
    /** The library's names of settings, as the flags that set them here. */
    private static final Map<String, String> FLAGS =
            Map.of(
                    SettingNames.MAX_ERRORED_BATCHES, "--max-errored-batches N",
                    SettingNames.MAX_ACTOR_RESTARTS, "--max-actor-restarts N",
                    SettingNames.OVERWRITE, "--overwrite",
                    SettingNames.RESUME, "--resume",
                    SettingNames.WORKER_JVM_OPTIONS, "--worker-jvm-option",
                    SettingNames.BATCH_SIZE, "--batch-size",
                    SettingNames.WHERE, "--where",
                    SettingNames.PARTITION_TYPES, "--partition-types column=string",
                    SettingNames.PARTITION_BY, "--partition-by");

    /** Actors per core beyond which a pool on this machine only adds start-up time and memory. */
    static final int MAX_ACTORS_PER_CORE = 4;

    /**
     * What a worker JVM of the processes runtime costs beyond the shared weights, with room to
     * spare (measured: 78 MB idle, 95 MB median and up to 106 MB while scoring; see
     * docs/benchmarks.md).
     */
    static final long WORKER_JVM_BYTES = 128L << 20;

    /** How Hadoop's settings start: these go to the storage layer on every runtime. */
    private static final List<String> HADOOP_PREFIXES = List.of("fs.", "dfs.", "ipc.", "hadoop.");

    private JobOptions() {}

    /** Options running on the runtime named {@code value}, or a usage error naming it. */
    static ExecutionOptions.Builder runtime(String value) {
        return runtime(value, null, List.of());
    }

    /**
     * Options running on the runtime named {@code value}; for {@code spark}, on {@code master}
     * (null: the session spark-submit starts) with the {@code key=value} settings of {@code conf}.
     */
    static ExecutionOptions.Builder runtime(String value, String master, List<String> conf) {
        ExecutionOptions.Builder options;
        try {
            options = ExecutionOptions.builder().runtime(value);
        } catch (IllegalArgumentException e) {
            throw new UserError("--runtime " + value + ": " + e.getMessage());
        }
        if (!value.equals("spark") && (master != null || !conf.isEmpty())) {
            throw new UserError(
                    "--master and --conf are settings of the spark runtime: add --runtime spark");
        }
        if (master != null) {
            options.runtimeOption("spark.master", master);
        }
        for (String setting : conf) {
            int eq = setting.indexOf('=');
            if (eq <= 0) {
                throw new UserError("--conf " + setting + ": give key=value");
            }
            options.runtimeOption(setting.substring(0, eq), setting.substring(eq + 1));
        }
        return options;
    }

    /**
     * Lets the runtime start the job's actors now (worker JVMs of {@code processes} boot while the
     * command loads the model and prepares the input); the job claims them when it starts, and the
     * runtime ends those it never claims.
     */
    static void startActorsEarly(String runtime, int actors, List<String> workerJvmOptions) {
        Runtimes.find(runtime)
                .prepare(new RuntimeSettings(runtime, 1, workerJvmOptions, Map.of()), actors);
    }

    /** {@code message} with the library's setting names replaced by this CLI's flags. */
    static String withFlags(String message) {
        return SettingNames.translate(message, FLAGS);
    }

    /**
     * Refuses a pool far larger than this machine runs well: more than {@value
     * #MAX_ACTORS_PER_CORE} actors per core, or (for worker processes) more worker JVMs than the
     * available memory holds. Ray places actors on other machines and is not limited here; spark
     * is, by its bound per executor.
     */
    static void checkActors(String flag, int actors, String runtime) {
        checkActors(flag, actors, runtime, null, List.of());
    }

    /**
     * {@link #checkActors(String, int, String)}, and for {@code spark} on {@code master} with the
     * settings of {@code conf}: no more actors per executor than the runtime's bound, and settings
     * and a master it can use.
     */
    static void checkActors(
            String flag, int actors, String runtime, String master, List<String> conf) {
        if (runtime.equals("spark")) {
            ExecutionOptions options = runtime(runtime, master, conf).build();
            try {
                Runtimes.find(runtime)
                        .checkJob(
                                new RuntimeSettings(
                                        runtime, 1, List.of(), options.runtimeOptions()),
                                actors);
            } catch (IllegalArgumentException e) {
                String message = e.getMessage().replace("=N", "=N (--conf)");
                throw new UserError(
                        message.startsWith(actors + " actors ")
                                ? flag + " " + actors + ": " + message
                                : message);
            }
            return;
        }
        if (!runtime.equals("threads") && !runtime.equals("processes")) {
            return;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        if (actors > MAX_ACTORS_PER_CORE * cores) {
            throw new UserError(
                    flag
                            + " "
                            + actors
                            + " is far more than the "
                            + cores
                            + " cores of this machine can run (each actor runs its own copy of the"
                            + " model's computation); use at most "
                            + MAX_ACTORS_PER_CORE * cores
                            + ", usually "
                            + cores);
        }
        long available = availableMemory();
        if (runtime.equals("processes") && available > 0) {
            long needed = actors * WORKER_JVM_BYTES;
            if (needed > available) {
                throw new UserError(
                        String.format(
                                Locale.ROOT,
                                "%s %d worker processes need about %d MB (%d MB each before any"
                                        + " batch), but only %d MB of memory are available; use"
                                        + " at most %d",
                                flag,
                                actors,
                                needed >> 20,
                                WORKER_JVM_BYTES >> 20,
                                available >> 20,
                                Math.max(1, available / WORKER_JVM_BYTES)));
            }
        }
    }

    /**
     * The local path a flag's value names: a path or a {@code file:} URI; a location with another
     * scheme, or an empty one, is a usage error naming the flag.
     */
    static Path localPath(String value, String flag) {
        try {
            return Path.of(Locations.localPath(value, flag));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    /**
     * The local path of a model or weights flag's value, or null when the value is null or a URI
     * of a Hadoop file system (fetched by {@link #fetch} once the job's checks have passed).
     */
    static Path localModelPath(String value, String flag) {
        return value == null || !Storage.isLocal(value) ? null : localPath(value, flag);
    }

    /**
     * Refuses an output on a Hadoop file system that is, holds or lies inside the model or weights
     * file {@code value} there: replacing the output would delete it.
     */
    static void checkRemoteReads(String output, String value, String flag) {
        if (value == null || Storage.isLocal(value) || Storage.isLocal(output)) {
            return;
        }
        String read = Storage.normalize(value);
        String out = Storage.normalize(output);
        if (read.equals(out) || read.startsWith(out + "/") || out.startsWith(read + "/")) {
            throw new UserError(
                    "--output "
                            + Storage.mask(output)
                            + " holds or is the "
                            + flag
                            + " "
                            + Storage.mask(value)
                            + ": replacing it would delete what the job reads; write to a"
                            + " directory outside it");
        }
    }

    /**
     * A model or weights file named by a URI, copied locally for the job (the caller closes it to
     * delete the copy); null for a local path.
     */
    static FetchedFile fetch(String value, String flag) {
        if (value == null || Storage.isLocal(value)) {
            return null;
        }
        try {
            return FetchedFile.fetch(value);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new UserError(flag + " " + Storage.mask(value) + ": " + e.getMessage());
        }
    }

    /** Checks, before a model is loaded, that the job can stage its output next to {@code out}. */
    static void checkCanStage(String output) {
        try {
            StagingArea.checkCanStage(output);
        } catch (UncheckedIOException e) {
            throw new UserError("--output: " + e.getMessage());
        }
    }

    /**
     * Checks, before a model is loaded, that {@code output} can be written with the save mode:
     * reachable, on a file system that commits atomically, and empty unless {@code overwrite}.
     */
    static void checkOutput(String output, boolean overwrite) {
        if (Storage.isLocal(output)
                && Files.exists(Path.of(output))
                && !Files.isDirectory(Path.of(output))) {
            throw new UserError(
                    "--output "
                            + output
                            + " is a file, not a directory: give a directory (it is created if"
                            + " missing)");
        }
        try {
            ParquetSink.checkOutput(
                    output,
                    overwrite
                            ? ParquetWriteOptions.SaveMode.OVERWRITE
                            : ParquetWriteOptions.SaveMode.ERROR_IF_EXISTS);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new UserError("--output: " + withFlags(e.getMessage()));
        }
    }

    /**
     * The Hadoop settings among {@code --conf key=value} settings ({@code fs.*}, {@code dfs.*},
     * {@code ipc.*}, {@code hadoop.*}, and {@code spark.hadoop.*} without its prefix), given to
     * the storage layer for every runtime (Spark's executors get them with each task); returns
     * the others.
     */
    static List<String> configureStorage(List<String> conf) {
        Map<String, String> hadoop = new LinkedHashMap<>();
        List<String> others = new ArrayList<>();
        for (String setting : conf) {
            int eq = setting.indexOf('=');
            String key = eq <= 0 ? setting : setting.substring(0, eq);
            String bare = key.startsWith("spark.hadoop.") ? key.substring(13) : key;
            if (eq > 0 && HADOOP_PREFIXES.stream().anyMatch(bare::startsWith)) {
                hadoop.put(bare, setting.substring(eq + 1));
            } else {
                others.add(setting);
            }
        }
        Storage.configure(hadoop);
        return others;
    }

    /**
     * How {@code --where} and {@code --partition-types col=type,...} read a partitioned input;
     * a malformed expression or type is a usage error naming the flag.
     */
    static ParquetReadOptions readOptions(String where, List<String> partitionTypes) {
        ParquetReadOptions.Builder read = ParquetReadOptions.builder();
        for (String setting : partitionTypes) {
            int eq = setting.indexOf('=');
            if (eq <= 0) {
                throw new UserError(
                        "--partition-types " + setting + ": give column=type, e.g. date=string");
            }
            try {
                read.partitionType(
                        setting.substring(0, eq),
                        ParquetReadOptions.PartitionType.of(setting.substring(eq + 1)));
            } catch (IllegalArgumentException e) {
                throw new UserError("--partition-types " + setting + ": " + e.getMessage());
            }
        }
        try {
            return read.where(where).build();
        } catch (IllegalArgumentException e) {
            throw new UserError(withFlags(e.getMessage()));
        }
    }

    /**
     * The schema of the input as the job reads it, partition columns included: the partition
     * directories are listed and checked, and {@code --where} bound to them, before any work.
     */
    static Schema inputSchema(ParquetReadOptions read, List<String> inputs) {
        try {
            return Dataset.readParquet(read, inputs.toArray(String[]::new)).schema();
        } catch (RuntimeException e) {
            // A bad flag, layout or file, or an unreachable file system: all before any work.
            String message = withFlags(e.getMessage());
            throw new UserError(message.startsWith("--") ? message : "--input: " + message);
        }
    }

    /** The columns of {@code whole} that {@code file} lacks: the partition columns. */
    static List<String> partitionColumns(Schema whole, String file) {
        List<String> own =
                Dataset.readParquet(file).schema().getFields().stream()
                        .map(Field::getName)
                        .toList();
        return whole.getFields().stream()
                .map(Field::getName)
                .filter(name -> !own.contains(name))
                .toList();
    }

    /**
     * Refuses {@code --partition-by} columns the output will not have (neither kept nor named
     * outputs) or that cannot name a directory (lists, binary), before any work.
     */
    static void checkPartitionBy(
            List<String> partitionBy, List<String> keep, List<String> outputs, Schema input) {
        List<String> written = new ArrayList<>(keep);
        written.addAll(outputs.isEmpty() ? List.of("score") : outputs);
        for (String column : partitionBy) {
            if (!written.contains(column)) {
                throw new UserError(
                        "--partition-by "
                                + column
                                + ": not a column of the output, which has "
                                + written
                                + "; keep it (--keep-columns "
                                + String.join(",", keep.isEmpty() ? List.of(column) : keep)
                                + (keep.isEmpty() ? "" : "," + column)
                                + ") or name an output column");
            }
            Field field =
                    input.getFields().stream()
                            .filter(f -> keep.contains(column) && f.getName().equals(column))
                            .findFirst()
                            .orElse(null);
            if (field != null
                    && (!field.getChildren().isEmpty()
                            || field.getType() instanceof ArrowType.Binary)) {
                throw new UserError(
                        "--partition-by "
                                + column
                                + ": the column is "
                                + field.getType()
                                + ", which cannot name a directory; partition by columns of"
                                + " numbers, booleans, strings or dates");
            }
        }
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

    /**
     * The machine-readable last line of {@code score} and {@code demo}: {@code rows} in the output,
     * the rate over {@code rowsThisRun} (a resumed run did not write the others).
     */
    static String summary(
            long rows, long rowsThisRun, long errored, double seconds, String output) {
        return String.format(
                Locale.ROOT,
                "rows=%d errored=%d seconds=%.3f rows_per_s=%.0f output=%s",
                rows,
                errored,
                seconds,
                seconds > 0 ? rowsThisRun / seconds : 0,
                output);
    }
}
