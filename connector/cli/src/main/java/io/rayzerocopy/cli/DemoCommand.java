package io.rayzerocopy.cli;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.WriteResult;
import io.rayzerocopy.admin.JobCheck;
import io.rayzerocopy.admin.TensorInfo;
import io.rayzerocopy.admin.WeightStores;
import io.rayzerocopy.examples.SimpleClassifier;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code rzc demo}: the guide's SimpleClassifier scoring a generated table through the actor pool.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description =
                "Generate a feature table and the guide's SimpleClassifier (no download, no"
                    + " Python), score it through a pool of actors sharing one copy of the weights,"
                    + " and report what happened.",
        footer = {
            "",
            "Last line: rows=<n> errored=<n> seconds=<s> rows_per_s=<r> output=<dir>",
            "",
            "Examples:",
            "  rzc demo",
            "  rzc demo --rows 1000000 --actors 2 --runtime processes",
            "  rzc demo --runtime spark --actors 1"
        })
final class DemoCommand implements Callable<Integer> {
    @Option(
            names = "--rows",
            defaultValue = "200000",
            description = "rows to generate (default: ${DEFAULT-VALUE})")
    long rows;

    @Option(
            names = "--actors",
            defaultValue = "2",
            description = "actors in the pool (default: ${DEFAULT-VALUE})")
    int actors;

    @Mixin RuntimeOptions where;

    @Option(
            names = "--master",
            paramLabel = "URL",
            description =
                    "spark: the master (default with --runtime spark: local-cluster[2,1,1024],"
                            + " two executor JVMs here)")
    String master;

    @Option(
            names = "--batch-size",
            defaultValue = "256",
            description = "rows per batch (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(
            names = "--dir",
            defaultValue = "rzc-demo",
            description = "working directory for input and output (default: ${DEFAULT-VALUE})")
    Path dir;

    @Override
    public Integer call() throws Exception {
        String summary;
        if (rows < 1 || actors < 1 || batchSize < 1) {
            throw new UserError("--rows, --actors and --batch-size must be >= 1");
        }
        ExecutionOptions.Builder options =
                JobOptions.runtime(
                                where.runtime,
                                master == null && where.runtime.equals(RuntimeNames.SPARK)
                                        ? "local-cluster[2,1,1024]"
                                        : master,
                                List.of())
                        .workerJvmOptions(where.workerJvmOptions);
        JobCheck check =
                JobOptions.named(
                        JobCheck.builder()
                                .execution(
                                        JobOptions.runtime(where.runtime)
                                                .workerJvmOptions(where.workerJvmOptions)
                                                .build(),
                                        actors),
                        "--actors");
        JobOptions.run(check);
        check.startActorsEarly(actors);
        Path input = dir.resolve("features");
        Path output = dir.resolve("scores");
        generate(input, rows);
        try (Model model = SimpleClassifier.create()) {
            try (ModelWrapper<Model> wrapper =
                    ModelWrapper.fromModel(
                            BlockModel.of(SimpleClassifier::network, model), Mode.ACTOR)) {
                ModelScorer.Config scorer =
                        ModelScorer.config(wrapper)
                                .inputColumn("features")
                                .outputColumn("scores")
                                .keepColumns("id")
                                .build();
                ScoringJob job =
                        ScoringJob.run(
                                Dataset.readParquet(input.toString()),
                                scorer,
                                batchSize,
                                ActorPoolStrategy.size(actors),
                                options,
                                output.toString(),
                                ParquetWriteOptions.overwrite());
                WriteResult result = job.result();
                double diff = checkFirstRows(model, output);
                WeightStores stores = WeightStores.local();
                long weightBytes =
                        stores.tensors(wrapper.storeId()).stream()
                                .mapToLong(TensorInfo::bytes)
                                .sum();
                System.out.printf(
                        "model: SimpleClassifier 128->256->10 (%.1f KB of weights) in store %s%n",
                        weightBytes / 1024.0, stores.directory(wrapper.storeId()));
                System.out.printf(
                        "scored %,d rows with %d %s actors in %.2f s: %,.0f rows/s%n",
                        result.rowsWritten(),
                        actors,
                        where.runtime,
                        result.seconds(),
                        result.rowsWritten() / result.seconds());
                System.out.printf(
                        "check: the first rows' scores equal the model's own outputs (max abs diff"
                                + " %.1e)%n",
                        diff);
                job.printReport();
                summary = job.summary();
            }
        }
        // After the wrapper is closed (its store released and logged): this stays the last line.
        System.out.println(summary);
        return 0;
    }

    /** Writes {@code rows} rows of {id, features: float[128]} (uniform in [-1, 1)) as Parquet. */
    static void generate(Path dir, long rows) {
        Dataset.range(rows)
                .mapBatches(
                        batch -> {
                            NDArray x =
                                    batch.manager()
                                            .randomUniform(
                                                    -1,
                                                    1,
                                                    new Shape(
                                                            batch.rowCount(),
                                                            SimpleClassifier.INPUTS));
                            return batch.output().keep("id").put("features", x).build();
                        },
                        16_384)
                .writeParquet(
                        dir.toString(),
                        // Row groups of one generated batch: a cluster splits work by row group.
                        ParquetWriteOptions.builder()
                                .rowsPerRowGroup(16_384)
                                .saveMode(ParquetWriteOptions.SaveMode.OVERWRITE)
                                .build());
    }

    /**
     * Recomputes the first rows of the output with the original model; returns the max abs
     * difference.
     */
    private static double checkFirstRows(Model model, Path output) {
        List<Map<String, Object>> rows = Dataset.readParquet(output.toString()).take(64);
        List<Map<String, Object>> inputs =
                Dataset.readParquet(output.getParent().resolve("features").toString())
                        .take(1 << 20)
                        .stream()
                        .filter(r -> rows.stream().anyMatch(o -> o.get("id").equals(r.get("id"))))
                        .toList();
        double max = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            for (Map<String, Object> out : rows) {
                Map<String, Object> in =
                        inputs.stream()
                                .filter(r -> r.get("id").equals(out.get("id")))
                                .findFirst()
                                .orElseThrow();
                float[] x = toFloats(in.get("features"));
                NDArray y =
                        model.getBlock()
                                .forward(
                                        new ParameterStore(m, false),
                                        new NDList(m.create(x, new Shape(1, x.length))),
                                        false)
                                .singletonOrThrow();
                float[] expected = y.toFloatArray();
                float[] actual = toFloats(out.get("scores"));
                for (int i = 0; i < expected.length; i++) {
                    max = Math.max(max, Math.abs(expected[i] - actual[i]));
                }
            }
        }
        return max;
    }

    private static float[] toFloats(Object value) {
        if (value instanceof float[]) {
            return (float[]) value;
        }
        List<?> list = (List<?>) value;
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) list.get(i)).floatValue();
        }
        return out;
    }
}
