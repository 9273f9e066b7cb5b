package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.internal.data.Roots;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * One suite for every runtime (a subclass per runtime names it): the TorchScript SimpleClassifier
 * scored over Parquet by a pool of two actors gives the model's own outputs for every row, exactly
 * once; order when asked; errored batches accounted for; task mode on the runtime's workers.
 */
public abstract class RuntimeConformance {
    protected static final int ROWS = 1000;
    @TempDir protected static Path dir;
    protected static Path input;
    static Map<Long, float[]> reference = new HashMap<>();
    protected static ModelWrapper<Model> wrapper;

    /** The runtime under test, by name. */
    protected abstract String runtime();

    /** Options running on {@link #runtime()}; subclasses add what the runtime needs. */
    protected ExecutionOptions.Builder options() {
        return ExecutionOptions.builder().runtime(runtime());
    }

    @BeforeAll
    static void writeInputAndReference() throws Exception {
        Random random = new Random(7);
        float[][] python = Fixtures.ref("simple_classifier", "input");
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            float[] x = new float[128];
            for (int j = 0; j < x.length; j++) {
                x[j] = i < python.length ? python[i][j] : (float) random.nextGaussian();
            }
            items.add(Map.of("id", (long) i, "features", x));
        }
        input = dir.resolve("input");
        Dataset.fromItems(items).writeParquet(input.toString());
        try (Model model = Model.newInstance("reference", Device.cpu(), "PyTorch");
                NDManager m = NDManager.newBaseManager()) {
            model.load(Fixtures.path("simple_classifier.pt"));
            for (Map<String, Object> row : items) {
                float[] x = (float[]) row.get("features");
                NDArray y =
                        model.getBlock()
                                .forward(
                                        new ParameterStore(m, false),
                                        new NDList(m.create(x, new Shape(1, 128))),
                                        false)
                                .singletonOrThrow();
                reference.put((Long) row.get("id"), y.toFloatArray());
            }
        }
        float[][] pythonOut = Fixtures.ref("simple_classifier", "output");
        for (int i = 0; i < pythonOut.length; i++) {
            for (int j = 0; j < 10; j++) {
                assertEquals(
                        pythonOut[i][j],
                        reference.get((long) i)[j],
                        1e-6,
                        "DJL reference agrees with Python");
            }
        }
        wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR);
    }

    @AfterAll
    static void close() {
        wrapper.close();
    }

    protected static ModelScorer.Config scorer() {
        return ModelScorer.config(wrapper)
                .inputColumn("features")
                .outputColumn("scores")
                .keepColumns("id")
                .build();
    }

    static float[] floats(Object v) {
        if (v instanceof float[]) {
            return (float[]) v;
        }
        List<?> l = (List<?>) v;
        float[] out = new float[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) l.get(i)).floatValue();
        }
        return out;
    }

    /** Every output row equals the reference for its id; returns the ids in output order. */
    protected static List<Long> checkScores(Path out) {
        List<Long> ids = new ArrayList<>();
        for (Map<String, Object> row :
                Dataset.readParquet(out.toString()).take(Integer.MAX_VALUE)) {
            long id = (Long) row.get("id");
            float[] expected = reference.get(id);
            float[] actual = floats(row.get("scores"));
            for (int j = 0; j < expected.length; j++) {
                assertEquals(expected[j], actual[j], 1e-5, "row " + id + " output " + j);
            }
            ids.add(id);
        }
        return ids;
    }

    @Test
    void everyRowScoredOnceEqualToTheModel() throws Exception {
        Path out = dir.resolve("out-" + runtime());
        WriteResult result =
                Dataset.readParquet(input.toString())
                        .mapBatches(ModelScorer::new, scorer(), 64, ActorPoolStrategy.size(2))
                        .withOptions(options().build())
                        .writeParquet(out.toString());
        assertEquals(ROWS, result.rowsWritten());
        List<Long> ids = checkScores(out);
        assertEquals(ROWS, ids.size());
        assertEquals(ROWS, ids.stream().distinct().count(), "no row duplicated");
    }

    @Test
    void preserveOrderKeepsInputOrder() throws Exception {
        Path out = dir.resolve("ordered-" + runtime());
        Dataset.readParquet(input.toString())
                .mapBatches(
                        ModelScorer::new,
                        scorer(),
                        50,
                        ActorPoolStrategy.size(2).maxTasksInFlightPerActor(3))
                .withOptions(options().preserveOrder(true).build())
                .writeParquet(out.toString());
        List<Long> ids = checkScores(out);
        for (int i = 0; i < ROWS; i++) {
            assertEquals(i, ids.get(i), "row " + i + " out of order");
        }
    }

    /** Fails on the batch holding id 300. */
    static BatchFn failingOn300(ModelScorer.Config config) {
        ModelScorer inner = new ModelScorer(config);
        return new BatchFn() {
            @Override
            public VectorSchemaRoot call(Batch batch) throws Exception {
                BigIntVector ids = (BigIntVector) batch.root().getVector("id");
                for (int i = 0; i < batch.rowCount(); i++) {
                    if (ids.get(i) == 300) {
                        throw new IllegalStateException("bad row 300");
                    }
                }
                return inner.call(batch);
            }

            @Override
            public void close() {
                inner.close();
            }
        };
    }

    @Test
    void erroredBatchesAreRecordedNotDropped() throws Exception {
        Path out = dir.resolve("errors-" + runtime());
        WriteResult result =
                Dataset.readParquet(input.toString())
                        .mapBatches(
                                RuntimeConformance::failingOn300,
                                scorer(),
                                64,
                                ActorPoolStrategy.size(2))
                        .withOptions(options().maxErroredBatches(1).build())
                        .writeParquet(out.toString());
        assertEquals(64, result.erroredRows());
        assertEquals(ROWS, result.rowsWritten() + result.erroredRows());
        List<Long> ids = checkScores(out);
        assertTrue(!ids.contains(300L));
        assertEquals(64, Dataset.readParquet(out.resolve("_errors").toString()).count());
        assertTrue(Files.isDirectory(out.resolve("_errors")));
    }

    /** Scores the batch and returns only the first half of its rows. */
    static BatchFn firstHalfScored(ModelScorer.Config config) {
        ModelScorer inner = new ModelScorer(config);
        return new BatchFn() {
            @Override
            public VectorSchemaRoot call(Batch batch) throws Exception {
                try (VectorSchemaRoot scored = inner.call(batch)) {
                    return Roots.slice(scored, 0, batch.rowCount() / 2, batch.allocator());
                }
            }

            @Override
            public void close() {
                inner.close();
            }
        };
    }

    @Test
    void aFunctionMayReturnFewerRowsThanItGets() throws Exception {
        Path out = dir.resolve("halves-" + runtime());
        WriteResult result =
                Dataset.readParquet(input.toString())
                        .mapBatches(
                                RuntimeConformance::firstHalfScored,
                                scorer(),
                                64,
                                ActorPoolStrategy.size(2))
                        .withOptions(options().build())
                        .writeParquet(out.toString());
        List<Long> expected = new ArrayList<>();
        for (long first = 0; first < ROWS; first += 64) {
            for (long id = first; id < first + Math.min(64, ROWS - first) / 2; id++) {
                expected.add(id);
            }
        }
        assertEquals(expected.size(), result.rowsWritten());
        assertEquals(ROWS, result.stats().inputRows());
        assertEquals(expected, checkScores(out).stream().sorted().toList());
    }

    /**
     * What travels with a batch crosses the runtime: an actor names a bad row by its row in the
     * file, and the NaNs it counted reach the job's stats.
     */
    @Test
    void actorsNameRowsOfTheFileAndTheirCountsReachTheStats() throws Exception {
        Random random = new Random(11);
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            float[] x = new float[i == 280 ? 127 : 128];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) random.nextGaussian();
            }
            if (i == 5 || i == 150) {
                x[3] = i == 5 ? Float.NaN : Float.NEGATIVE_INFINITY;
            }
            items.add(Map.of("id", (long) i, "features", x));
        }
        Path in = dir.resolve("nan-ragged-" + runtime());
        Dataset.fromItems(items).writeParquet(in.toString());
        Path file = single(in);
        Path out = dir.resolve("nan-ragged-out-" + runtime());

        WriteResult result =
                Dataset.readParquet(in.toString())
                        .mapBatches(ModelScorer::new, scorer(), 100, ActorPoolStrategy.size(2))
                        .withOptions(options().maxErroredBatches(1).build())
                        .writeParquet(out.toString());

        assertEquals(200, result.rowsWritten());
        assertEquals(2, result.stats().counter(ModelScorer.NON_FINITE_FEATURES));
        Map<String, Object> error =
                Dataset.readParquet(out.resolve("_errors").toString()).take(1).get(0);
        String text = (String) error.get("error");
        assertTrue(text.contains("row 280 of " + file), text);
    }

    private static Path single(Path directory) throws Exception {
        try (var files = Files.list(directory)) {
            List<Path> parquet = files.filter(p -> p.toString().endsWith(".parquet")).toList();
            assertEquals(1, parquet.size(), parquet.toString());
            return parquet.get(0);
        }
    }

    /**
     * DJL terminates the JVM that decodes a bfloat16 tensor: a task refuses such an input with a
     * message, and a worker returns a bfloat16 output as float32 (exact).
     */
    @Test
    void bfloat16NeverCrossesToOrFromATaskWorker() throws Exception {
        RefJson ref = new RefJson("bf16_out");
        try (ModelWrapper<Model> wrapped =
                        ModelWrapper.forTasks(
                                TorchScriptModel.fromFile(Fixtures.path("bf16_out.pt")),
                                runtime(),
                                1);
                ModelWrapper<Model> actorMode =
                        ModelWrapper.fromModel(
                                TorchScriptModel.fromFile(Fixtures.path("bf16_out.pt")),
                                Mode.ACTOR);
                Model local = actorMode.load();
                NDManager m = NDManager.newBaseManager()) {
            List<double[]> x = ref.input("x");
            float[] flat = new float[x.size() * 8];
            for (int r = 0; r < x.size(); r++) {
                for (int j = 0; j < 8; j++) {
                    flat[r * 8 + j] = (float) x.get(r)[j];
                }
            }
            NDArray y = wrapped.call(new NDList(m.create(flat, new Shape(x.size(), 8)))).head();
            assertEquals(DataType.FLOAT32, y.getDataType());
            float[] values = y.toFloatArray();
            List<double[]> expected = ref.output("0");
            for (int r = 0; r < expected.size(); r++) {
                for (int j = 0; j < 3; j++) {
                    assertEquals(expected.get(r)[j], values[r * 3 + j], 0, "row " + r);
                }
            }
            NDArray bfloat16 = local.getBlock().getParameters().get(0).getValue().getArray();
            IllegalArgumentException refused =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> wrapped.call(new NDList(bfloat16)));
            assertTrue(refused.getMessage().contains("bfloat16"), refused.getMessage());
        }
    }

    @Test
    void taskModeCallsRunOnTheRuntimesWorkers() throws Exception {
        try (ModelWrapper<Model> wrapped =
                        ModelWrapper.forTasks(
                                TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                                List.of("forward", "embed"),
                                runtime(),
                                2);
                NDManager m = NDManager.newBaseManager()) {
            NDArray x = Fixtures.refArray(m, "simple_classifier", "input");
            List<CompletableFuture<NDList>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(wrapped.submit(new NDList(x)));
            }
            for (CompletableFuture<NDList> c : calls) {
                NDArray y = c.get().singletonOrThrow();
                assertTrue(
                        Fixtures.maxAbsDiff(y, Fixtures.ref("simple_classifier", "output"))
                                <= 1e-6);
                assertEquals(m, y.getManager(), "outputs belong to the caller's manager");
            }
            assertTrue(
                    Fixtures.maxAbsDiff(
                                    wrapped.call("embed", new NDList(x)).singletonOrThrow(),
                                    Fixtures.ref("simple_classifier", "embed"))
                            <= 1e-6);
        }
    }
}
