package io.rayzerocopy.spark;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.WriteResult;
import io.rayzerocopy.spark.internal.compat.SparkLine;

import org.apache.spark.sql.SparkSession;

import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The main class of the spark-submit jar: scores Parquet files with a TorchScript model into
 * Parquet, on the cluster spark-submit runs it on (docs/spark.md).
 *
 * <pre>
 * spark-submit --class io.rayzerocopy.spark.SparkScoreJob rzc-spark.jar \
 *     --model model.pt --input features/ --output scores/ --input-column features \
 *     [--keep-columns id] [--output-column score] [--batch-size 256] [--actors 1] \
 *     [--rows-per-split 100000] [--overwrite]
 * </pre>
 *
 * Prints {@code rows=<n> errored=<n> seconds=<s> output=<dir>} last. Exit code 2 on bad arguments.
 */
public final class SparkScoreJob {
    private static final Set<String> FLAGS = Set.of("overwrite");
    private static final List<String> OPTIONS =
            List.of(
                    "model",
                    "input",
                    "output",
                    "input-column",
                    "keep-columns",
                    "output-column",
                    "batch-size",
                    "actors",
                    "rows-per-split");

    private SparkScoreJob() {}

    public static void main(String[] argv) {
        Map<String, String> args;
        try {
            args = parse(argv);
            SparkLine.requireRunning();
        } catch (IllegalArgumentException e) {
            System.err.println("rzc-spark: " + e.getMessage());
            System.exit(2);
            return;
        }
        SparkSession spark =
                SparkSession.builder()
                        .appName("rzc score")
                        .config(
                                "spark.plugins",
                                System.getProperty("spark.plugins", RzcSparkPlugin.class.getName()))
                        .getOrCreate();
        try (ModelWrapper<Model> wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Paths.get(args.get("model"))), Mode.ACTOR)) {
            ModelScorer.Config scorer =
                    ModelScorer.config(wrapper)
                            .inputColumn(args.get("input-column"))
                            .outputColumn(args.getOrDefault("output-column", "score"))
                            .keepColumns(
                                    args.containsKey("keep-columns")
                                            ? args.get("keep-columns").split(",")
                                            : new String[0])
                            .build();
            WriteResult result =
                    Dataset.readParquet(args.get("input").split(","))
                            .withOptions(
                                    ExecutionOptions.builder()
                                            .runtime(RuntimeNames.SPARK)
                                            .runtimeOption(
                                                    SparkRuntime.ROWS_PER_SPLIT,
                                                    args.getOrDefault("rows-per-split", "100000"))
                                            .build())
                            .mapBatches(
                                    ModelScorer::new,
                                    scorer,
                                    Integer.parseInt(args.getOrDefault("batch-size", "256")),
                                    ActorPoolStrategy.size(
                                            Integer.parseInt(args.getOrDefault("actors", "1"))))
                            .writeParquet(
                                    args.get("output"),
                                    args.containsKey("overwrite")
                                            ? ParquetWriteOptions.overwrite()
                                            : ParquetWriteOptions.defaults());
            System.out.println("stats: " + result.stats());
            System.out.printf(
                    Locale.ROOT,
                    "rows=%d errored=%d seconds=%.3f output=%s%n",
                    result.rowsWritten(),
                    result.erroredRows(),
                    result.seconds(),
                    result.directory());
        } finally {
            spark.stop();
        }
    }

    private static Map<String, String> parse(String[] argv) {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String key = argv[i].startsWith("--") ? argv[i].substring(2) : null;
            if (key != null && FLAGS.contains(key)) {
                args.put(key, "true");
            } else if (key != null && OPTIONS.contains(key) && i + 1 < argv.length) {
                args.put(key, argv[++i]);
            } else {
                throw new IllegalArgumentException(
                        "unexpected argument '"
                                + argv[i]
                                + "'; options: --"
                                + String.join(" V, --", OPTIONS)
                                + " V, --overwrite");
            }
        }
        for (String required : List.of("model", "input", "output", "input-column")) {
            if (!args.containsKey(required)) {
                throw new IllegalArgumentException("--" + required + " is required");
            }
        }
        return args;
    }
}
