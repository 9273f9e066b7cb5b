package io.rayzerocopy.cli;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.ParquetReadOptions;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.admin.JobArgument;
import io.rayzerocopy.admin.JobCheck;
import io.rayzerocopy.admin.JobProblem;
import io.rayzerocopy.admin.Locations;

import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Parsing and checks shared by {@code demo} and {@code score}. */
final class JobOptions {
    /** The job's arguments and settings as the flags that give them here. */
    static final Map<JobArgument, String> FLAGS = flags();

    /** The settings a running job's messages may name, spelt as the API does. */
    private static final Set<JobArgument> SETTINGS =
            EnumSet.of(
                    JobArgument.OVERWRITE,
                    JobArgument.RESUME,
                    JobArgument.MAX_ERRORED_BATCHES,
                    JobArgument.MAX_ACTOR_RESTARTS,
                    JobArgument.WORKER_JVM_OPTIONS,
                    JobArgument.BATCH_SIZE,
                    JobArgument.WHERE,
                    JobArgument.PARTITION_TYPES,
                    JobArgument.PARTITION_BY);

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
        if (!value.equals(RuntimeNames.SPARK) && (master != null || !conf.isEmpty())) {
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
     * {@code message} of a running job with the library's setting names replaced by this CLI's
     * flags: a job's failure may come from another process (a worker, an executor) as text, so it
     * spells settings as the API does ({@link JobArgument#apiName()}).
     */
    static String withFlags(String message) {
        String out = message;
        for (JobArgument setting : SETTINGS) {
            out = out.replace(setting.apiName(), FLAGS.get(setting));
        }
        return out;
    }

    /**
     * The check of a job, with {@link #FLAGS} as the names of its arguments and {@code actorsFlag}
     * as that of the pool's size.
     */
    static JobCheck named(JobCheck.Builder check, String actorsFlag) {
        Map<JobArgument, String> names = new EnumMap<>(FLAGS);
        names.put(JobArgument.ACTORS, actorsFlag);
        return check.names(names).build();
    }

    /** Runs {@code check}: its problem is a usage error; returns the output it checked. */
    static String run(JobCheck check) {
        try {
            return check.check();
        } catch (JobProblem p) {
            // The spark runtime names its own settings, which are given with --conf here.
            throw new UserError(
                    p.argument() == JobArgument.RUNTIME_OPTIONS
                                    || p.argument() == JobArgument.ACTORS
                            ? p.getMessage().replace("=N", "=N (--conf)")
                            : p.getMessage());
        }
    }

    /**
     * The local path a flag's value names: a path or a {@code file:} URI; a location with another
     * scheme, or an empty one, is a usage error naming the flag.
     */
    static Path localPath(String value, String flag) {
        try {
            return Locations.localPath(value, flag);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    /**
     * The Hadoop settings among {@code --conf key=value} settings ({@code fs.*}, {@code dfs.*},
     * {@code ipc.*}, {@code hadoop.*}, and {@code spark.hadoop.*} without its prefix), given to the
     * storage layer for every runtime (Spark's executors get them with each task); returns the
     * others.
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
        Locations.configureHadoop(hadoop);
        return others;
    }

    /**
     * How {@code --where} and {@code --partition-types col=type,...} read a partitioned input; a
     * malformed expression or type is a usage error naming the flag.
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

    private static Map<JobArgument, String> flags() {
        Map<JobArgument, String> flags = new EnumMap<>(JobArgument.class);
        flags.put(JobArgument.INPUT, "--input");
        flags.put(JobArgument.MODEL, "--model");
        flags.put(JobArgument.WEIGHTS, "--weights");
        flags.put(JobArgument.OUTPUT, "--output");
        flags.put(JobArgument.RUNTIME, "--runtime");
        flags.put(JobArgument.RUNTIME_OPTIONS, "--conf");
        flags.put(JobArgument.ACTORS, "--actors");
        flags.put(JobArgument.OVERWRITE, "--overwrite");
        flags.put(JobArgument.RESUME, "--resume");
        flags.put(JobArgument.MAX_ERRORED_BATCHES, "--max-errored-batches N");
        flags.put(JobArgument.MAX_ACTOR_RESTARTS, "--max-actor-restarts N");
        flags.put(JobArgument.WORKER_JVM_OPTIONS, "--worker-jvm-option");
        flags.put(JobArgument.BATCH_SIZE, "--batch-size");
        flags.put(JobArgument.WHERE, "--where");
        flags.put(JobArgument.PARTITION_TYPES, "--partition-types column=string");
        flags.put(JobArgument.PARTITION_BY, "--partition-by");
        return flags;
    }
}
