package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;

import io.rayzerocopy.internal.model.TensorSpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link ModelScorer} on the models of tools/make_fixtures.py: several inputs and outputs, every
 * weight type shared zero-copy, outputs equal to Python's, and input the model cannot take refused
 * before any actor starts.
 */
class ModelScorerTest {
    @TempDir Path dir;

    private static ModelWrapper<Model> wrap(String fixture) {
        return ModelWrapper.fromModel(
                TorchScriptModel.fromFile(Fixtures.path(fixture + ".pt")), Mode.ACTOR);
    }

    /** Rows {@code id} plus one float[] (or double[]) column per named input of the reference. */
    private static List<Map<String, Object>> rows(RefJson ref, boolean doubles, String... inputs) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int r = 0; r < ref.input(inputs[0]).size(); r++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", (long) r);
            for (String input : inputs) {
                double[] values = ref.input(input).get(r);
                if (doubles) {
                    row.put(input, values);
                } else {
                    float[] floats = new float[values.length];
                    for (int j = 0; j < floats.length; j++) {
                        floats[j] = (float) values[j];
                    }
                    row.put(input, floats);
                }
            }
            rows.add(row);
        }
        return rows;
    }

    private static List<Map<String, Object>> score(
            List<Map<String, Object>> rows, ModelScorer.Config config) {
        return Dataset.fromItems(rows)
                .mapBatches(ModelScorer::new, config, 2, ActorPoolStrategy.size(2))
                .withOptions(ExecutionOptions.builder().preserveOrder(true).build())
                .take(rows.size() + 1);
    }

    /**
     * Asserts column {@code column} of every row equals the reference output within {@code tol}.
     */
    private static void assertOutput(
            List<Map<String, Object>> scored, String column, List<double[]> expected, double tol) {
        assertEquals(expected.size(), scored.size());
        for (int r = 0; r < expected.size(); r++) {
            Object value = scored.get(r).get(column);
            List<?> values = value instanceof List<?> list ? list : List.of(value);
            assertEquals(expected.get(r).length, values.size(), column + " row " + r);
            for (int j = 0; j < values.size(); j++) {
                assertEquals(
                        expected.get(r)[j],
                        ((Number) values.get(j)).doubleValue(),
                        tol,
                        column + " row " + r + " value " + j);
            }
        }
    }

    @Test
    void twoInputColumnsAndATupleOfTwoOutputsGivePythonsOutputs() {
        RefJson ref = new RefJson("two_in_two_out");
        try (ModelWrapper<Model> wrapper = wrap("two_in_two_out")) {
            List<Map<String, Object>> scored =
                    score(
                            rows(ref, false, "x", "mask"),
                            ModelScorer.config(wrapper)
                                    .inputColumns("x", "mask")
                                    .outputColumns("logits", "embedding")
                                    .keepColumns("id")
                                    .build());

            assertEquals(List.of("id", "logits", "embedding"), List.copyOf(scored.get(0).keySet()));
            assertOutput(scored, "logits", ref.output("0"), 1e-6);
            assertOutput(scored, "embedding", ref.output("1"), 1e-6);
            List<Map<String, Object>> defaults =
                    score(
                            rows(ref, false, "x", "mask"),
                            ModelScorer.config(wrapper).inputColumns("x", "mask").build());
            assertEquals(List.of("score_0", "score_1"), List.copyOf(defaults.get(0).keySet()));
        }
    }

    @Test
    void aDictBecomesOneColumnPerKeyInTheModelsOrderAndIntegersStayIntegers() {
        RefJson ref = new RefJson("dict_out");
        try (ModelWrapper<Model> wrapper = wrap("dict_out")) {
            List<Map<String, Object>> scored =
                    score(
                            rows(ref, false, "x"),
                            ModelScorer.config(wrapper).inputColumn("x").build());

            assertEquals(
                    List.of("score", "probs", "label", "logits"),
                    List.copyOf(scored.get(0).keySet()),
                    "the dict's own order, not sorted nor hashed");
            assertInstanceOf(Float.class, scored.get(0).get("score"), "1-D: a scalar column");
            assertInstanceOf(Long.class, scored.get(0).get("label"), "int64 stays int64");
            for (String key : ref.outputNames()) {
                assertOutput(scored, key, ref.output(key), 1e-6);
            }
            List<Map<String, Object>> chosen =
                    score(
                            rows(ref, false, "x"),
                            ModelScorer.config(wrapper)
                                    .inputColumn("x")
                                    .outputColumns("label", "score")
                                    .build());
            assertEquals(List.of("label", "score"), List.copyOf(chosen.get(0).keySet()));
        }
    }

    /**
     * Every weight type is written to the store as itself and mapped zero-copy, and the scorer
     * gives Python's outputs: float16 and bfloat16 outputs as float32 columns.
     */
    @ParameterizedTest
    @CsvSource({
        "bf16_mlp, BF16, 0",
        "bf16_out, BF16, 0",
        "fp16_mlp, F16, 0",
        "f64_mlp, F64, 1e-12",
        "int_params, I8, 1e-6",
        "two_in_two_out, F32, 1e-6"
    })
    void everyWeightTypeIsSharedZeroCopyAndGivesPythonsOutputs(
            String fixture, String weightType, double tolerance) {
        RefJson ref = new RefJson(fixture);
        try (ModelWrapper<Model> wrapper = wrap(fixture);
                Model model = wrapper.load()) {
            ZeroCopy.assertAllParametersInStore(model, wrapper);
            Map<String, String> stored = new LinkedHashMap<>();
            for (TensorSpec t : Stores.of(wrapper).tensors()) {
                stored.put(t.name(), t.dtype());
            }
            assertTrue(stored.containsValue(weightType), stored.toString());
            ref.parameterDtypes()
                    .forEach((name, dtype) -> assertEquals(code(dtype), stored.get(name), name));

            String[] inputs =
                    fixture.equals("two_in_two_out")
                            ? new String[] {"x", "mask"}
                            : new String[] {"x"};
            List<Map<String, Object>> scored =
                    score(
                            rows(ref, fixture.startsWith("f64"), inputs),
                            ModelScorer.config(wrapper).inputColumns(inputs).build());
            assertOutput(
                    scored, inputs.length == 1 ? "score" : "score_0", ref.output("0"), tolerance);
        }
    }

    private static String code(String torchDtype) {
        return Map.of(
                        "float32", "F32",
                        "float64", "F64",
                        "float16", "F16",
                        "bfloat16", "BF16",
                        "int8", "I8",
                        "int64", "I64")
                .get(torchDtype);
    }

    @Test
    void aBfloat16SkeletonWithItsSafetensorsIsSharedAndGivesPythonsOutputs() {
        RefJson ref = new RefJson("bf16_mlp");
        try (ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(
                                TorchScriptModel.fromSkeleton(
                                        Fixtures.path("bf16_mlp_skeleton.pt"),
                                        Fixtures.path("bf16_mlp.safetensors")),
                                Mode.ACTOR);
                Model model = wrapper.load()) {
            ZeroCopy.assertAllParametersInStore(model, wrapper);
            assertOutput(
                    score(
                            rows(ref, false, "x"),
                            ModelScorer.config(wrapper).inputColumn("x").build()),
                    "score",
                    ref.output("0"),
                    0);
        }
    }

    @Test
    void aListOfDoublesIsCastToTheModelsFloatType() {
        float[][] input = Fixtures.ref("simple_classifier", "input");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (float[] x : input) {
            double[] d = new double[x.length];
            for (int j = 0; j < d.length; j++) {
                d[j] = x[j];
            }
            rows.add(Map.of("features", d));
        }
        List<double[]> expected = new ArrayList<>();
        for (float[] y : Fixtures.ref("simple_classifier", "output")) {
            double[] d = new double[y.length];
            for (int j = 0; j < d.length; j++) {
                d[j] = y[j];
            }
            expected.add(d);
        }
        try (ModelWrapper<Model> wrapper = wrap("simple_classifier")) {
            List<Map<String, Object>> scored =
                    score(rows, ModelScorer.config(wrapper).inputColumn("features").build());
            assertOutput(scored, "score", expected, 1e-6);
            assertInstanceOf(Float.class, ((List<?>) scored.get(0).get("score")).get(0));
        }
    }

    @Test
    void aTrailingArgumentWithADefaultMayBeLeftOut() {
        // optional_mask's reference ran forward(x, ones): the same as forward(x).
        RefJson ref = new RefJson("optional_mask");
        try (ModelWrapper<Model> wrapper = wrap("optional_mask")) {
            assertOutput(
                    score(
                            rows(ref, false, "x"),
                            ModelScorer.config(wrapper).inputColumn("x").build()),
                    "score",
                    ref.output("0"),
                    1e-6);
        }
    }

    /** The job's failure, which must come from the driver's check, before any actor started. */
    private IllegalArgumentException refused(
            List<Map<String, Object>> rows, ModelScorer.Config config) {
        AtomicInteger actors = new AtomicInteger();
        Path out = dir.resolve("out");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Dataset.fromItems(rows)
                                        .mapBatches(
                                                c -> {
                                                    actors.incrementAndGet();
                                                    return new ModelScorer(c);
                                                },
                                                config,
                                                16,
                                                ActorPoolStrategy.size(1))
                                        .writeParquet(out.toString()));
        assertEquals(0, actors.get(), "no actor was constructed");
        assertFalse(Files.exists(out));
        return e;
    }

    @Test
    void columnsTheModelCannotTakeAreRefusedBeforeAnyActorStarts() {
        try (ModelWrapper<Model> wrapper = wrap("simple_classifier")) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int r = 0; r < 4; r++) {
                rows.add(
                        Map.of(
                                "id",
                                (long) r,
                                "short",
                                new float[64],
                                "ints",
                                List.of(1L, 2L, 3L)));
            }
            String scalar =
                    refused(rows, ModelScorer.config(wrapper).inputColumn("id").build())
                            .getMessage();
            assertTrue(
                    scalar.contains("column 'id' (int64, one value per row)")
                            && scalar.contains("as argument 'x' of forward(x)")
                            && scalar.contains("mat1 and mat2 must have the same dtype")
                            && scalar.contains("128 values per row")
                            && scalar.contains("row 0 of items")
                            && !scalar.contains("TorchScript interpreter"),
                    scalar);
            String width =
                    refused(rows, ModelScorer.config(wrapper).inputColumn("short").build())
                            .getMessage();
            assertTrue(
                    width.contains("64 values per row")
                            && width.contains(
                                    "mat1 and mat2 shapes cannot be multiplied (1x64 and 128x256)"),
                    width);
            String ints =
                    refused(rows, ModelScorer.config(wrapper).inputColumn("ints").build())
                            .getMessage();
            assertTrue(ints.contains("list<int64>") && ints.contains("Long and Float"), ints);
            String missing =
                    refused(rows, ModelScorer.config(wrapper).inputColumn("feature").build())
                            .getMessage();
            assertTrue(missing.contains("column 'feature' does not exist"), missing);
        }
    }

    @Test
    void theSignatureIsCheckedAgainstTheColumnsBeforeAnyActorStarts() {
        RefJson ref = new RefJson("two_in_two_out");
        List<Map<String, Object>> rows = rows(ref, false, "x", "mask");
        try (ModelWrapper<Model> wrapper = wrap("two_in_two_out")) {
            String few =
                    refused(rows, ModelScorer.config(wrapper).inputColumn("x").build())
                            .getMessage();
            assertTrue(
                    few.contains("forward(x, mask) needs argument 'mask' (Tensor)")
                            && few.contains("column 'x'"),
                    few);
            String many =
                    refused(
                                    rows,
                                    ModelScorer.config(wrapper)
                                            .inputColumns("x", "mask", "x2")
                                            .build())
                            .getMessage();
            assertTrue(many.contains("column 'x2' does not exist"), many);
            String names =
                    refused(
                                    rows,
                                    ModelScorer.config(wrapper)
                                            .inputColumns("x", "mask")
                                            .outputColumns("logits")
                                            .build())
                            .getMessage();
            assertTrue(names.contains("returns 2 tensor(s) but 1 output column name(s)"), names);
        }
        try (ModelWrapper<Model> wrapper = wrap("simple_classifier")) {
            String many =
                    refused(rows, ModelScorer.config(wrapper).inputColumns("x", "mask").build())
                            .getMessage();
            assertTrue(many.contains("forward(x) takes 1 argument(s) but 2 inputs"), many);
        }
        try (ModelWrapper<Model> wrapper = wrap("dict_out")) {
            String key =
                    refused(
                                    rows(new RefJson("dict_out"), false, "x"),
                                    ModelScorer.config(wrapper)
                                            .inputColumn("x")
                                            .outputColumns("labels")
                                            .build())
                            .getMessage();
            assertTrue(key.contains("keys [score, probs, label, logits], not 'labels'"), key);
        }
    }

    /** 128 floats per row, except {@code short} rows of 64; NaN at the given rows. */
    private static List<Map<String, Object>> features(int rows, int shortFrom, int... nanRows) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            float[] x = new float[r >= shortFrom ? 64 : 128];
            for (int j = 0; j < x.length; j++) {
                x[j] = (r * 31 + j) % 17 / 17f;
            }
            for (int nan : nanRows) {
                if (nan == r) {
                    x[1] = Float.NaN;
                    x[2] = Float.POSITIVE_INFINITY;
                }
            }
            out.add(Map.of("id", (long) r, "features", x));
        }
        return out;
    }

    @Test
    void aModelFailingMidJobNamesLibtorchsOwnCauseOnOneLine() {
        try (ModelWrapper<Model> wrapper = wrap("simple_classifier")) {
            DatasetException e =
                    assertThrows(
                            DatasetException.class,
                            () ->
                                    Dataset.fromItems(features(30, 20))
                                            .mapBatches(
                                                    ModelScorer::new,
                                                    ModelScorer.config(wrapper)
                                                            .inputColumn("features")
                                                            .build(),
                                                    10,
                                                    ActorPoolStrategy.size(1))
                                            .writeParquet(dir.resolve("out").toString()));
            String message = e.getMessage();
            assertEquals(1, message.lines().count(), message);
            assertTrue(
                    message.contains("rows [20, 30) of items")
                            && message.contains(
                                    "forward failed: mat1 and mat2 shapes cannot be multiplied"
                                            + " (10x64 and 128x256)")
                            && !message.contains("TorchScript interpreter"),
                    message);
        }
    }

    @Test
    void nonFiniteFeaturesAreCountedOrFailTheirBatchNamingTheRow() {
        try (ModelWrapper<Model> wrapper = wrap("simple_classifier")) {
            ModelScorer.Config.Builder config = ModelScorer.config(wrapper).inputColumn("features");
            WriteResult counted =
                    Dataset.fromItems(features(30, 30, 3, 17))
                            .mapBatches(
                                    ModelScorer::new, config.build(), 10, ActorPoolStrategy.size(2))
                            .writeParquet(dir.resolve("counted").toString());
            assertEquals(30, counted.rowsWritten());
            assertEquals(4, counted.stats().counter(ModelScorer.NON_FINITE_FEATURES));
            assertTrue(counted.stats().toString().contains("non_finite_features=4"));

            DatasetException failed =
                    assertThrows(
                            DatasetException.class,
                            () ->
                                    Dataset.fromItems(features(30, 30, 3, 17))
                                            .mapBatches(
                                                    ModelScorer::new,
                                                    config.failOnNonFinite(true).build(),
                                                    10,
                                                    ActorPoolStrategy.size(1))
                                            .withOptions(
                                                    ExecutionOptions.builder()
                                                            .preserveOrder(true)
                                                            .build())
                                            .writeParquet(dir.resolve("failed").toString()));
            assertTrue(
                    failed.getMessage().contains("column 'features' holds NaN or infinite values")
                            && failed.getMessage().matches(".*the first at row (3|17) of items.*"),
                    failed.getMessage());
        }
    }

    @Test
    void aBfloat16ModelThatDoesNotCastItsInputIsRefusedWithTheFix() {
        RefJson ref = new RefJson("bf16_raw");
        try (ModelWrapper<Model> wrapper = wrap("bf16_raw")) {
            String message =
                    refused(
                                    rows(ref, false, "x"),
                                    ModelScorer.config(wrapper).inputColumn("x").build())
                            .getMessage();
            assertTrue(
                    message.contains("BFloat16") && message.contains("x.to(torch.bfloat16)"),
                    message);
        }
    }

    @Test
    void anOutputHoldingTheModelFileIsRefusedBeforeAnyWorkAndTheModelKept() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Path model = Files.copy(Fixtures.path("simple_classifier.pt"), out.resolve("m.pt"));
        byte[] before = Files.readAllBytes(model);
        float[][] x = Fixtures.ref("simple_classifier", "input");
        Path in = dir.resolve("in");
        Dataset.fromItems(List.of(Map.of("id", 1L, "features", x[0]))).writeParquet(in.toString());

        try (ModelWrapper<Model> wrapper =
                ModelWrapper.fromModel(TorchScriptModel.fromFile(model), Mode.ACTOR)) {
            Dataset job =
                    Dataset.readParquet(in.toString())
                            .mapBatches(
                                    ModelScorer::new,
                                    ModelScorer.config(wrapper).inputColumn("features").build(),
                                    16,
                                    ActorPoolStrategy.size(1));
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    job.writeParquet(
                                            out.toString(),
                                            ParquetWriteOptions.builder()
                                                    .saveMode(
                                                            ParquetWriteOptions.SaveMode.OVERWRITE)
                                                    .build()));
            assertTrue(e.getMessage().contains("contains the model file " + model), e.getMessage());
        }
        try (var left = Files.list(out)) {
            assertEquals(List.of(model), left.toList());
        }
        assertArrayEquals(before, Files.readAllBytes(model), "model intact");
    }
}
