package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.cli.ScoreActor;
import io.rayzerocopy.model.TorchScriptModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One suite, three runtimes: the TorchScript SimpleClassifier scored over Parquet by a pool of two
 * actors gives the model's own outputs for every row, exactly once; order when asked; errored
 * batches accounted for. Ray runs in LOCAL mode here (calls serialized across actors, see FACTS).
 */
class RuntimeConformanceTest {
    static final int ROWS = 1000;
    @TempDir static Path dir;
    static Path input;
    static Map<Long, float[]> reference = new HashMap<>();
    static ModelWrapper wrapper;

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

    static ScoreActor.Spec spec() {
        return new ScoreActor.Spec(wrapper, "features", List.of(), "scores", List.of("id"));
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
    static List<Long> checkScores(Path out) {
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

    @ParameterizedTest
    @EnumSource(RuntimeKind.class)
    void everyRowScoredOnceEqualToTheModel(RuntimeKind runtime) throws Exception {
        Path out = dir.resolve("out-" + runtime);
        WriteResult result =
                Dataset.readParquet(input.toString())
                        .mapBatches(ScoreActor::new, spec(), 64, ActorPoolStrategy.size(2))
                        .withOptions(ExecutionOptions.builder().runtime(runtime).build())
                        .writeParquet(out.toString());
        assertEquals(ROWS, result.rowsWritten());
        List<Long> ids = checkScores(out);
        assertEquals(ROWS, ids.size());
        assertEquals(ROWS, ids.stream().distinct().count(), "no row duplicated");
    }

    @ParameterizedTest
    @EnumSource(RuntimeKind.class)
    void preserveOrderKeepsInputOrder(RuntimeKind runtime) throws Exception {
        Path out = dir.resolve("ordered-" + runtime);
        Dataset.readParquet(input.toString())
                .mapBatches(
                        ScoreActor::new,
                        spec(),
                        50,
                        ActorPoolStrategy.size(2).maxTasksInFlightPerActor(3))
                .withOptions(
                        ExecutionOptions.builder().runtime(runtime).preserveOrder(true).build())
                .writeParquet(out.toString());
        List<Long> ids = checkScores(out);
        for (int i = 0; i < ROWS; i++) {
            assertEquals(i, ids.get(i), "row " + i + " out of order");
        }
    }

    /** Fails on the batch holding id 300. */
    static BatchFn failingOn300(ScoreActor.Spec spec) {
        ScoreActor inner = new ScoreActor(spec);
        return new BatchFn() {
            @Override
            public org.apache.arrow.vector.VectorSchemaRoot call(Batch batch) throws Exception {
                org.apache.arrow.vector.BigIntVector ids =
                        (org.apache.arrow.vector.BigIntVector) batch.root().getVector("id");
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

    @ParameterizedTest
    @EnumSource(RuntimeKind.class)
    void erroredBatchesAreRecordedNotDropped(RuntimeKind runtime) throws Exception {
        Path out = dir.resolve("errors-" + runtime);
        WriteResult result =
                Dataset.readParquet(input.toString())
                        .mapBatches(
                                RuntimeConformanceTest::failingOn300,
                                spec(),
                                64,
                                ActorPoolStrategy.size(2))
                        .withOptions(
                                ExecutionOptions.builder()
                                        .runtime(runtime)
                                        .maxErroredBatches(1)
                                        .build())
                        .writeParquet(out.toString());
        assertEquals(64, result.erroredRows());
        assertEquals(ROWS, result.rowsWritten() + result.erroredRows());
        List<Long> ids = checkScores(out);
        assertTrue(!ids.contains(300L));
        assertEquals(64, Dataset.readParquet(out.resolve("_errors").toString()).count());
        assertTrue(Files.isDirectory(out.resolve("_errors")));
    }

    /**
     * The scoring actor, plus a trigger: the first actor to see id 500 kills its own process with
     * SIGKILL.
     */
    record KillOnce(ScoreActor.Spec spec, String marker) implements java.io.Serializable {}

    static BatchFn killingOnce(KillOnce k) {
        ScoreActor inner = new ScoreActor(k.spec());
        return batch -> {
            org.apache.arrow.vector.BigIntVector ids =
                    (org.apache.arrow.vector.BigIntVector) batch.root().getVector("id");
            for (int i = 0; i < batch.rowCount(); i++) {
                if (ids.get(i) == 500) {
                    try {
                        Files.createFile(Path.of(k.marker()));
                        new ProcessBuilder(
                                        "kill", "-9", Long.toString(ProcessHandle.current().pid()))
                                .start()
                                .waitFor();
                        Thread.sleep(10_000);
                    } catch (java.nio.file.FileAlreadyExistsException alreadyKilledOnce) {
                        break;
                    }
                }
            }
            return inner.call(batch);
        };
    }

    @org.junit.jupiter.api.Test
    void killNineOfAWorkerMidJobStillGivesTheExactOutput() throws Exception {
        Path out = dir.resolve("killed");
        Path marker = dir.resolve("killed.marker");
        WriteResult result =
                Dataset.readParquet(input.toString())
                        .mapBatches(
                                RuntimeConformanceTest::killingOnce,
                                new KillOnce(spec(), marker.toString()),
                                64,
                                ActorPoolStrategy.size(2).maxTasksInFlightPerActor(2))
                        .withOptions(
                                ExecutionOptions.builder().runtime(RuntimeKind.PROCESSES).build())
                        .writeParquet(out.toString());
        assertTrue(Files.exists(marker), "a worker was killed");
        assertEquals(ROWS, result.rowsWritten());
        List<Long> ids = checkScores(out);
        assertEquals(ROWS, ids.size());
        assertEquals(ROWS, ids.stream().distinct().count(), "no row lost or duplicated");
    }

    /** Loads the wrapped model and runs it once per batch; returns the ids. */
    static BatchFn forwardOnly(ModelWrapper w) {
        Model model = w.load();
        return batch -> {
            try (NDManager m = NDManager.newBaseManager()) {
                model.getBlock()
                        .forward(
                                new ParameterStore(m, false),
                                new NDList(m.ones(new Shape(8, 1024))),
                                false);
            }
            return batch.output().keep("id").build();
        };
    }

    @org.junit.jupiter.api.Test
    void fourWorkerProcessesHoldOneCopyOfTheWeights() throws Exception {
        try (Model big = Model.newInstance("big", Device.cpu(), "PyTorch")) {
            ai.djl.nn.SequentialBlock block = bigBlock();
            big.setBlock(block);
            block.initialize(
                    big.getNDManager(), ai.djl.ndarray.types.DataType.FLOAT32, new Shape(1, 1024));
            try (ModelWrapper w =
                    ModelWrapper.fromModel(
                            io.rayzerocopy.model.BlockModel.of(
                                    RuntimeConformanceTest::bigBlock, big),
                            Mode.ACTOR)) {
                long store = w.store().shardSizes().stream().mapToLong(Long::longValue).sum();
                io.rayzerocopy.model.StoreMemory[] peak = new io.rayzerocopy.model.StoreMemory[1];
                Thread monitor =
                        new Thread(
                                () -> {
                                    while (!Thread.currentThread().isInterrupted()) {
                                        io.rayzerocopy.model.StoreMemory m =
                                                io.rayzerocopy.model.StoreMemory.measure(w.store());
                                        if (peak[0] == null
                                                || m.processes() > peak[0].processes()
                                                || (m.processes() == peak[0].processes()
                                                        && m.mappedRssBytes()
                                                                > peak[0].mappedRssBytes())) {
                                            peak[0] = m;
                                        }
                                        try {
                                            Thread.sleep(100);
                                        } catch (InterruptedException e) {
                                            return;
                                        }
                                    }
                                });
                monitor.start();
                Dataset.readParquet(input.toString())
                        .mapBatches(
                                RuntimeConformanceTest::forwardOnly,
                                w,
                                10,
                                ActorPoolStrategy.size(4))
                        .withOptions(
                                ExecutionOptions.builder().runtime(RuntimeKind.PROCESSES).build())
                        .count();
                monitor.interrupt();
                monitor.join();
                io.rayzerocopy.model.StoreMemory m = peak[0];
                assertEquals(4, m.processes(), "all four workers map the store: " + m);
                assertTrue(
                        m.mappedRssBytes() > 3.5 * store, "each worker sees the whole store: " + m);
                assertTrue(m.mappedPssBytes() < 1.25 * store, "one physical copy among them: " + m);
            }
        }
    }

    static ai.djl.nn.SequentialBlock bigBlock() {
        ai.djl.nn.SequentialBlock b = new ai.djl.nn.SequentialBlock();
        for (int i = 0; i < 8; i++) {
            b.add(ai.djl.nn.core.Linear.builder().setUnits(1024).build());
        }
        return b;
    }

    @ParameterizedTest
    @EnumSource(RuntimeKind.class)
    void taskModeCallsRunOnTheRuntimesWorkers(RuntimeKind runtime) throws Exception {
        try (ModelWrapper wrapped =
                        ModelWrapper.fromModel(
                                        TorchScriptModel.fromFile(
                                                Fixtures.path("simple_classifier.pt")),
                                        Mode.TASK,
                                        List.of(),
                                        List.of("forward", "embed"))
                                .runTasksOn(runtime, 2);
                NDManager m = NDManager.newBaseManager()) {
            NDArray x = Fixtures.refArray(m, "simple_classifier", "input");
            List<java.util.concurrent.CompletableFuture<NDList>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(wrapped.submit(new NDList(x)));
            }
            for (java.util.concurrent.CompletableFuture<NDList> c : calls) {
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
