package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;

import com.google.gson.Gson;
import com.google.gson.JsonObject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A threads job over a model of several GB, made at run time by {@code tools/make_large_model.py}
 * (never committed, so this runs only when given one):
 *
 * <pre>
 * /usr/bin/python3 tools/make_large_model.py --out /work/tmp-large
 * mvn -pl connector/core test -Dtest=LargeModelJobTest -Drzc.large.model=/work/tmp-large/huge.pt
 * </pre>
 *
 * The scores equal the model's own outputs, and while the job scores no anonymous region of this
 * process is as large as the weights: there is no second copy of them beside the store's mapping
 * (the test JVM's heap, -Xmx2g, is smaller than the 2.4 GB model).
 */
@EnabledIfSystemProperty(named = "rzc.large.model", matches = ".+")
class LargeModelJobTest {
    @Test
    void aThreadsJobScoresTheModelsOwnOutputsWithoutASecondCopyOfItsWeights() throws Exception {
        Path pt = Paths.get(System.getProperty("rzc.large.model"));
        JsonObject ref =
                new Gson()
                        .fromJson(
                                Files.readString(
                                        pt.resolveSibling(
                                                pt.getFileName()
                                                        .toString()
                                                        .replace(".pt", ".ref.json"))),
                                JsonObject.class);
        float[][] input = new Gson().fromJson(ref.get("input"), float[][].class);
        float[][] expected = new Gson().fromJson(ref.get("output"), float[][].class);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < input.length; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", (long) i);
            row.put("features", input[i]);
            rows.add(row);
        }
        long weights = Files.size(pt);
        AtomicLong largestAnon = new AtomicLong();
        List<Map<String, Object>> scored;
        try (ModelWrapper<Model> wrapper =
                ModelWrapper.fromModel(TorchScriptModel.fromFile(pt), Mode.ACTOR)) {
            Thread sampler = new Thread(() -> sample(largestAnon), "anon-sampler");
            sampler.setDaemon(true);
            sampler.start();
            try {
                scored =
                        Dataset.fromItems(rows)
                                .mapBatches(
                                        ModelScorer::new,
                                        ModelScorer.config(wrapper).inputColumn("features").build(),
                                        16,
                                        ActorPoolStrategy.size(2))
                                .withOptions(ExecutionOptions.builder().preserveOrder(true).build())
                                .take(rows.size() + 1);
            } finally {
                sampler.interrupt();
                sampler.join();
            }
        }
        assertEquals(rows.size(), scored.size());
        double diff = 0;
        for (int r = 0; r < scored.size(); r++) {
            List<?> scores = (List<?>) scored.get(r).get("score");
            for (int j = 0; j < expected[r].length; j++) {
                diff =
                        Math.max(
                                diff,
                                Math.abs(((Number) scores.get(j)).doubleValue() - expected[r][j]));
            }
        }
        assertTrue(diff <= 1e-5, "scores differ from the model's own outputs by " + diff);
        assertTrue(
                largestAnon.get() < weights,
                "an anonymous region of "
                        + largestAnon.get()
                        + " bytes (weights: "
                        + weights
                        + ") existed while the job scored");
    }

    /** Until interrupted: the largest Rss of an anonymous region of this process. */
    private static void sample(AtomicLong largest) {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                boolean anonymous = false;
                for (String line : Files.readAllLines(Paths.get("/proc/self/smaps"))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length >= 5 && f[0].matches("[0-9a-f]+-[0-9a-f]+")) {
                        anonymous = f.length == 5 || f[5].startsWith("[");
                    } else if (anonymous && line.startsWith("Rss:")) {
                        largest.accumulateAndGet(Long.parseLong(f[1]) * 1024, Math::max);
                    }
                }
                Thread.sleep(200);
            } catch (IOException e) {
                return;
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
