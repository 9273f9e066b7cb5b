package io.rayzerocopy.cli;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.RuntimeKind;
import io.rayzerocopy.WriteResult;
import io.rayzerocopy.data.ParquetSink;
import io.rayzerocopy.data.ParquetWriteOptions;
import io.rayzerocopy.data.Tensors;
import io.rayzerocopy.model.BlockModel;
import io.rayzerocopy.model.Djl;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import picocli.CommandLine.Command;
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
                "Generate a feature table and the guide's SimpleClassifier (no download, no Python), score it"
                        + " through a pool of actors sharing one copy of the weights, and report what happened.",
        footer = {
            "",
            "Last line: rows=<n> errored=<n> seconds=<s> rows_per_s=<r> output=<dir>",
            "",
            "Examples:",
            "  rzc demo",
            "  rzc demo --rows 1000000 --actors 2 --runtime processes"
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

    @Option(
            names = "--runtime",
            defaultValue = "threads",
            description = "threads, processes or ray (default: ${DEFAULT-VALUE})")
    String runtime;

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
        RuntimeKind kind = JobOptions.runtime(runtime);
        Djl.engine();
        Path input = dir.resolve("features");
        Path output = dir.resolve("scores");
        generate(input, rows);
        try (Model model =
                Model.newInstance("simple-classifier", ai.djl.Device.cpu(), Djl.ENGINE)) {
            model.setBlock(SimpleClassifier.build());
            model.getBlock()
                    .initialize(
                            model.getNDManager(),
                            ai.djl.ndarray.types.DataType.FLOAT32,
                            new Shape(1, SimpleClassifier.INPUTS));
            try (ModelWrapper wrapper =
                    ModelWrapper.fromModel(
                            BlockModel.of(SimpleClassifier::build, model), Mode.ACTOR)) {
                ScoreActor.Spec spec =
                        new ScoreActor.Spec(
                                wrapper, "features", List.of(), "scores", List.of("id"));
                ScoringJob job =
                        ScoringJob.run(
                                Dataset.readParquet(input.toString()),
                                spec,
                                batchSize,
                                ActorPoolStrategy.size(actors),
                                ExecutionOptions.builder().runtime(kind),
                                output,
                                ParquetWriteOptions.overwrite());
                WriteResult result = job.result();
                double diff = checkFirstRows(model, output);
                System.out.printf(
                        "model: SimpleClassifier 128->256->10 (%.1f KB of weights) in store %s%n",
                        wrapper.store().tensorBytes() / 1024.0, wrapper.store().directory());
                System.out.printf(
                        "scored %,d rows with %d %s actors in %.2f s: %,.0f rows/s%n",
                        result.rowsWritten(),
                        actors,
                        kind.name().toLowerCase(),
                        result.seconds(),
                        result.rowsWritten() / result.seconds());
                System.out.printf(
                        "check: the first rows' scores equal the model's own outputs (max abs diff %.1e)%n",
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
    static void generate(Path dir, long rows) throws Exception {
        int chunk = 16_384;
        try (BufferAllocator allocator = new RootAllocator();
                ParquetSink sink = ParquetSink.create(dir, ParquetWriteOptions.overwrite());
                NDManager manager = NDManager.newBaseManager()) {
            for (long start = 0; start < rows; start += chunk) {
                int n = (int) Math.min(chunk, rows - start);
                BigIntVector id = new BigIntVector("id", allocator);
                id.allocateNew(n);
                for (int i = 0; i < n; i++) {
                    id.set(i, start + i);
                }
                id.setValueCount(n);
                try (NDManager batch = manager.newSubManager()) {
                    NDArray x = batch.randomUniform(-1, 1, new Shape(n, SimpleClassifier.INPUTS));
                    FieldVector features = Tensors.toVector("features", x, allocator);
                    try (VectorSchemaRoot root = new VectorSchemaRoot(List.of(id, features))) {
                        root.setRowCount(n);
                        sink.write(root);
                    }
                }
            }
            sink.commit();
        }
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
