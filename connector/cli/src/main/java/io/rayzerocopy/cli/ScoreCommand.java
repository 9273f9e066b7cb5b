package io.rayzerocopy.cli;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ParquetReadOptions;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.admin.JobCheck;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code rzc score}: Parquet in, scores (next to ids) out, with a pool of actors sharing one model
 * copy.
 */
@Command(
        name = "score",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description =
                "Score Parquet files with a TorchScript model: every actor maps one shared copy of"
                        + " the weights.",
        footer = {
            "",
            "Last line: rows=<n> errored=<n> seconds=<s> rows_per_s=<r> output=<dir>",
            "",
            "Exit codes: 0 success; 2 bad usage or input (names the argument, file or column); 1"
                    + " job failure.",
            "",
            "Examples:",
            "  rzc score --model model.pt --input features/ --output scores/ --input-column"
                    + " features --keep-columns id",
            "  rzc score --model two_in.pt --input data/ --output out/ --input-columns x,mask"
                    + " --output-columns logits,embedding",
            "  rzc score --model skeleton.pt --weights model.safetensors --input 'data/*.parquet'"
                    + " --output out/ \\",
            "      --feature-columns f1,f2,f3 --actors 4 --runtime processes --max-errored-batches"
                    + " 10 --overwrite",
            "  rzc score ... --resume      (after a run that was killed: only the files not done"
                    + " yet)",
            "  rzc score --model model.pt --input features/ --output scores/ --input-column"
                    + " features \\",
            "      --keep-columns id,date --where \"date >= '2026-12-01'\" --partition-by date"
                    + "      (features/date=2026-12-01/...: Hive partitions in and out)",
            "  rzc score --model model.pt --input features/ --output scores/ --input-column"
                    + " features \\",
            "      --keep-columns id --runtime spark --master 'local-cluster[2,1,1024]' --actors 1"
        })
final class ScoreCommand implements Callable<Integer> {
    @Option(
            names = "--model",
            required = true,
            paramLabel = "M",
            description =
                    "TorchScript .pt file, weight-free skeleton (with --weights), or DJL model"
                            + " directory; a path or a URI (hdfs://, s3a://: fetched once per"
                            + " machine into the weight store)")
    String model;

    @Option(
            names = "--weights",
            paramLabel = "FILE",
            description = "safetensors weights of a weight-free skeleton (a path or a URI)")
    String weights;

    @Option(
            names = "--input",
            required = true,
            paramLabel = "P",
            description =
                    "Parquet files, directories or globs, comma-separated or repeated; an existing"
                            + " file or directory is taken as named (commas, *, [ ] and all)")
    List<String> inputs;

    @Option(
            names = "--output",
            required = true,
            paramLabel = "DIR",
            description =
                    "output directory: a path, or a URI such as hdfs://namenode:8020/scores"
                            + " (committed atomically)")
    String output;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Features features;

    static final class Features {
        @Option(
                names = {"--input-columns", "--input-column"},
                split = ",",
                paramLabel = "a,b",
                description =
                        "the columns fed to the model's forward, one per argument in order (a"
                                + " list of numbers per row, or a number)")
        List<String> inputColumns;

        @Option(
                names = "--feature-columns",
                split = ",",
                paramLabel = "a,b,c",
                description = "numeric columns, one feature each, stacked into one tensor")
        List<String> featureColumns;
    }

    @Option(
            names = {"--output-columns", "--output-column"},
            split = ",",
            paramLabel = "a,b",
            description =
                    "output column names: one per tensor the model returns (default score, or"
                            + " score_0,score_1,... for a tuple); for a dict, the keys to write"
                            + " (default all)")
    List<String> outputColumns = new ArrayList<>();

    @Option(
            names = "--fail-on-nonfinite",
            description =
                    "fail a batch holding a NaN or infinite input value (default: count them in"
                            + " the report)")
    boolean failOnNonFinite;

    @Option(
            names = "--keep-columns",
            split = ",",
            paramLabel = "id,...",
            description = "input columns written next to the scores")
    List<String> keepColumns = new ArrayList<>();

    @Option(
            names = "--where",
            paramLabel = "EXPR",
            description =
                    "read only the Hive partitions (name=value directories) for which EXPR holds,"
                            + " e.g. \"date >= '2026-12-01' AND region IN ('eu','us')\": ="
                            + " != < <= > >= IN, IS [NOT] NULL, AND OR NOT ( ), literals 5,"
                            + " 'text', DATE 'yyyy-MM-dd'; partition columns only")
    String whereExpression;

    @Option(
            names = "--partition-types",
            split = ",",
            paramLabel = "col=type",
            description =
                    "read partition columns as int, long, double, date or string instead of the"
                            + " type Spark would infer, e.g. date=string")
    List<String> partitionTypes = new ArrayList<>();

    @Option(
            names = "--partition-by",
            split = ",",
            paramLabel = "col,...",
            description =
                    "write each row under col=value/ directories (Hive-style, as Spark's"
                            + " partitionBy; the columns are not repeated in the files): columns"
                            + " of --keep-columns or --output-columns")
    List<String> partitionBy = new ArrayList<>();

    @Option(
            names = "--max-open-files",
            defaultValue = "16",
            description =
                    "with --partition-by: part files open at once; past it the least recently"
                            + " written is finished (more, smaller files instead of more memory:"
                            + " each open file buffers a row group) (default: ${DEFAULT-VALUE})")
    int maxOpenFiles;

    @Option(
            names = "--batch-size",
            defaultValue = "256",
            description = "rows per model call (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--actors", description = "actors in the pool (default: one per core)")
    Integer actors;

    @Option(names = "--min-actors", description = "autoscaling: fewest actors")
    Integer minActors;

    @Option(names = "--max-actors", description = "autoscaling: most actors")
    Integer maxActors;

    @Mixin RuntimeOptions where;

    @Option(
            names = "--master",
            paramLabel = "URL",
            description =
                    "spark: local-cluster[N,C,M] (N executor JVMs here, no Spark download),"
                            + " spark://host:port or local[N]")
    String master;

    @Option(
            names = "--conf",
            paramLabel = "K=V",
            description =
                    "a Hadoop setting for the file systems of --input/--output/--model"
                            + " (fs.s3a.endpoint=..., dfs.*, spark.hadoop.fs.*), or, for spark, a"
                            + " Spark setting (spark.executor.memory=2g) or a runtime option"
                            + " (rzc.spark.rowsPerSplit=50000); repeatable")
    List<String> conf = new ArrayList<>();

    @Option(names = "--preserve-order", description = "write rows in input order")
    boolean preserveOrder;

    @Option(
            names = "--max-errored-batches",
            defaultValue = "0",
            description =
                    "batches that may fail; their rows go to OUTPUT/_errors (default:"
                            + " ${DEFAULT-VALUE})")
    int maxErroredBatches;

    @Option(
            names = "--max-actor-restarts",
            defaultValue = "3",
            description =
                    "actors that may die (crash, be killed) and be replaced, their batches retried,"
                            + " before the job fails (default: ${DEFAULT-VALUE})")
    int maxActorRestarts;

    @Option(
            names = "--compression",
            defaultValue = "snappy",
            description = "snappy, zstd or none (default: ${DEFAULT-VALUE})")
    String compression;

    @Option(
            names = "--overwrite",
            description = "replace the output directory if it exists (only once the job succeeds)")
    boolean overwrite;

    @Option(
            names = "--resume",
            description =
                    "continue the run of this job that died (kill, OOM, preemption): skip the input"
                            + " files whose output it committed, score the others, commit all"
                            + " (refused, naming what changed, if the inputs, model or options"
                            + " differ); if this run fails, keep its work for the next --resume")
    boolean resume;

    @Override
    public Integer call() throws Exception {
        inputs = InputArgs.paths(inputs);
        String summary;
        List<String> runtimeConf = JobOptions.configureStorage(conf);
        ActorPoolStrategy pool = pool();
        if (batchSize < 1 || maxErroredBatches < 0 || maxActorRestarts < 0 || maxOpenFiles < 1) {
            throw new UserError(
                    "--batch-size and --max-open-files must be >= 1, --max-errored-batches and"
                            + " --max-actor-restarts >= 0");
        }
        if (maxOpenFiles > ParquetWriteOptions.MAX_OPEN_FILES) {
            throw new UserError(
                    "--max-open-files "
                            + maxOpenFiles
                            + ": at most "
                            + ParquetWriteOptions.MAX_OPEN_FILES
                            + " (each open part file holds a row group in memory)");
        }
        ParquetWriteOptions.Compression codec = codec();
        ParquetReadOptions read = JobOptions.readOptions(whereExpression, partitionTypes);
        ParquetWriteOptions.SaveMode saveMode =
                overwrite
                        ? ParquetWriteOptions.SaveMode.OVERWRITE
                        : ParquetWriteOptions.SaveMode.ERROR_IF_EXISTS;
        ExecutionOptions.Builder options =
                JobOptions.runtime(where.runtime, master, runtimeConf)
                        .workerJvmOptions(where.workerJvmOptions);
        JobCheck check =
                JobOptions.named(
                        JobCheck.builder()
                                .input(inputs, read)
                                .columns(readColumns())
                                .model(model)
                                .weights(weights)
                                .output(output, saveMode)
                                .execution(options.build(), pool.maxSize()),
                        pool.isAutoscaling() ? "--max-actors" : "--actors");
        String out = JobOptions.run(check);
        JobOptions.checkPartitionBy(
                partitionBy, keepColumns, outputColumns, JobOptions.inputSchema(read, inputs));
        check.startActorsEarly(pool.minSize());
        try (ModelWrapper<Model> wrapper = Models.wrap(model, weights)) {
            ScoringJob job =
                    ScoringJob.run(
                            Dataset.readParquet(read, inputs.toArray(String[]::new)),
                            scorer(wrapper),
                            batchSize,
                            pool,
                            options.preserveOrder(preserveOrder)
                                    .maxErroredBatches(maxErroredBatches)
                                    .maxActorRestarts(maxActorRestarts),
                            out,
                            ParquetWriteOptions.builder()
                                    .compression(codec)
                                    .saveMode(saveMode)
                                    .resume(resume)
                                    .partitionBy(partitionBy.toArray(String[]::new))
                                    .maxOpenFiles(maxOpenFiles)
                                    .build());
            job.printReport();
            summary = job.summary();
        }
        // After the wrapper is closed (its store released and logged): this stays the last line.
        System.out.println(summary);
        return 0;
    }

    private ParquetWriteOptions.Compression codec() {
        try {
            return ParquetWriteOptions.Compression.valueOf(compression.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserError("--compression " + compression + ": choose snappy, zstd or none");
        }
    }

    /** The scoring actors' configuration: what they feed the model and what they write. */
    private ModelScorer.Config scorer(ModelWrapper<Model> wrapper) {
        ModelScorer.Config.Builder scorer =
                ModelScorer.config(wrapper)
                        .keepColumns(keepColumns.toArray(String[]::new))
                        .failOnNonFinite(failOnNonFinite);
        if (!outputColumns.isEmpty()) {
            scorer.outputColumns(outputColumns.toArray(String[]::new));
        }
        if (features.inputColumns != null) {
            scorer.inputColumns(features.inputColumns.toArray(String[]::new));
        } else {
            scorer.featureColumns(features.featureColumns.toArray(String[]::new));
        }
        return scorer.build();
    }

    private ActorPoolStrategy pool() {
        if (actors != null && (minActors != null || maxActors != null)) {
            throw new UserError("give either --actors or --min-actors/--max-actors, not both");
        }
        if (minActors != null || maxActors != null) {
            if (minActors == null || maxActors == null || minActors < 1 || maxActors < minActors) {
                throw new UserError(
                        "--min-actors and --max-actors go together, with 1 <= min <= max");
            }
            return ActorPoolStrategy.autoscaling(minActors, maxActors);
        }
        int n = actors == null ? Runtime.getRuntime().availableProcessors() : actors;
        if (n < 1) {
            throw new UserError("--actors must be >= 1");
        }
        return ActorPoolStrategy.size(n);
    }

    /** The columns the job reads: those kept and those fed to the model. */
    private List<String> readColumns() {
        List<String> needed = new ArrayList<>(keepColumns);
        needed.addAll(
                features.inputColumns != null ? features.inputColumns : features.featureColumns);
        return needed;
    }
}
