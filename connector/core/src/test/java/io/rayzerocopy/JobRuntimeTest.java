package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A dataset on a runtime that runs whole jobs ({@link InProcessJobs}) is handed over as a plan:
 * split by split, through a runner shipped as bytes, into one output committed once.
 */
class JobRuntimeTest {
    @TempDir Path dir;

    private Path features() {
        float[][] input = Fixtures.ref("simple_classifier", "input");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long id = 0; id < 1000; id++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", id);
            row.put("features", input[(int) (id % input.length)]);
            rows.add(row);
        }
        Path features = dir.resolve("features");
        Dataset.fromItems(rows)
                .writeParquet(
                        features.toString(),
                        ParquetWriteOptions.builder()
                                .rowsPerFile(400)
                                .rowsPerRowGroup(100)
                                .build());
        return features;
    }

    @Test
    void aJobRuntimeRunsTheWholePlanSplitBySplit() throws Exception {
        Path features = features();
        try (ModelWrapper<Model> wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR)) {
            ModelScorer.Config scorer =
                    ModelScorer.config(wrapper).inputColumn("features").keepColumns("id").build();
            List<Progress> progress = new ArrayList<>();
            Dataset jobs =
                    Dataset.readParquet(features.toString())
                            .withOptions(
                                    ExecutionOptions.builder()
                                            .runtime(InProcessJobs.NAME)
                                            .preserveOrder(true)
                                            .progress(progress::add)
                                            .build())
                            .mapBatches(ModelScorer::new, scorer, 64, ActorPoolStrategy.size(2));
            WriteResult result = jobs.writeParquet(dir.resolve("jobs").toString());

            // 400 + 400 + 200 rows, row groups of 100, splits of <= 300 rows: 2 + 2 + 1.
            assertEquals(5, progress.size());
            assertEquals(1000, result.rowsWritten());
            assertEquals(result.stats(), jobs.stats());
            try (Stream<Path> parts = Files.list(dir.resolve("jobs"))) {
                assertEquals(
                        List.of(
                                "_SUCCESS",
                                "part-00000.parquet",
                                "part-00001.parquet",
                                "part-00002.parquet",
                                "part-00003.parquet",
                                "part-00004.parquet"),
                        parts.map(p -> p.getFileName().toString()).sorted().toList());
            }
            List<Map<String, Object>> rows =
                    Dataset.readParquet(dir.resolve("jobs").toString()).take(1000);
            float[][] expected = Fixtures.ref("simple_classifier", "output");
            for (int i = 0; i < rows.size(); i++) {
                assertEquals((long) i, rows.get(i).get("id"), "input order, split after split");
                List<?> scores = (List<?>) rows.get(i).get("score");
                for (int j = 0; j < 10; j++) {
                    assertEquals(
                            expected[i % expected.length][j],
                            ((Number) scores.get(j)).floatValue(),
                            1e-5);
                }
            }
        }
        try (Stream<Path> leftovers = Files.list(dir)) {
            assertEquals(
                    List.of("features", "jobs"),
                    leftovers.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void theOutputIsCheckedBeforeTheRuntimeGetsThePlan() throws Exception {
        Path features = features();
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Dataset.readParquet(features.toString())
                                        .withOptions(
                                                ExecutionOptions.builder()
                                                        .runtime(InProcessJobs.NAME)
                                                        .build())
                                        .writeParquet(features.resolve("out").toString()));
        assertTrue(e.getMessage().contains("lies inside the input"), e.getMessage());
    }
}
