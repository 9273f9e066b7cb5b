package io.rayzerocopy.ray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.BatchFn;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.Stores;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.ZeroCopy;
import io.rayzerocopy.internal.FileTrees;
import io.rayzerocopy.internal.model.WeightStore;
import io.rayzerocopy.ray.internal.RayRuntime;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The cluster path in LOCAL mode: the driver publishes the store as Ray objects when it ships a
 * wrapper; a "node" without the store (simulated by deleting it) materializes it once from them
 * before loading zero-copy.
 */
class RayStoreSourceTest {
    @TempDir static Path dir;

    @BeforeAll
    static void startRay() {
        RayCluster.start();
    }

    @AfterAll
    static void stopRay() {
        RayCluster.shutdown();
    }

    @Test
    void aWrapperPublishedForRayActorsIsMaterializedOnceOnAMachineWithoutTheStore()
            throws Exception {
        try (ModelWrapper<Model> wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR)) {
            ModelWrapper<Model> shipped = RayCluster.publish(wrapper);
            Path store = Stores.directory(wrapper);
            deleteStore(store);
            assertFalse(Files.exists(store));
            List<CompletableFuture<Model>> loads = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                loads.add(CompletableFuture.supplyAsync(shipped::load));
            }
            List<Model> models = new ArrayList<>();
            for (CompletableFuture<Model> f : loads) {
                models.add(f.join());
            }
            assertTrue(Files.isDirectory(store));
            WeightStore.local().verify(Stores.of(wrapper));
            try (NDManager m = NDManager.newBaseManager()) {
                for (Model model : models) {
                    ZeroCopy.assertAllParametersInStore(model, wrapper);
                    NDList out =
                            model.getBlock()
                                    .forward(
                                            new ParameterStore(m, false),
                                            new NDList(
                                                    Fixtures.refArray(
                                                            m, "simple_classifier", "input")),
                                            false);
                    assertTrue(
                            Fixtures.maxAbsDiff(
                                            out.singletonOrThrow(),
                                            Fixtures.ref("simple_classifier", "output"))
                                    <= 1e-6);
                }
            }
            assertNoTornCopy(store.getParent());
            models.forEach(Model::close);
        }
    }

    /** The scorer, run where the store does not exist yet: it deletes the store first. */
    record OnAnotherNode(ModelScorer.Config scorer, String store) implements Serializable {}

    static BatchFn scoreWithoutTheStore(OnAnotherNode node) throws Exception {
        deleteStore(Path.of(node.store()));
        return new ModelScorer(node.scorer());
    }

    @Test
    void theRayRuntimePublishesTheStoreWhenItShipsAnActor() throws Exception {
        float[][] x = Fixtures.ref("simple_classifier", "input");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            rows.add(Map.of("id", (long) i, "features", x[i]));
        }
        Path input = dir.resolve("in");
        Dataset.fromItems(rows).writeParquet(input.toString());
        try (ModelWrapper<Model> wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR)) {
            Path store = Stores.directory(wrapper);
            OnAnotherNode node =
                    new OnAnotherNode(
                            ModelScorer.config(wrapper)
                                    .inputColumn("features")
                                    .keepColumns("id")
                                    .build(),
                            store.toString());
            List<Map<String, Object>> scored =
                    Dataset.readParquet(input.toString())
                            .mapBatches(
                                    RayStoreSourceTest::scoreWithoutTheStore,
                                    node,
                                    2,
                                    ActorPoolStrategy.size(1))
                            .withOptions(
                                    ExecutionOptions.builder()
                                            .runtime("ray")
                                            .runtimeOption(RayRuntime.PUBLISH_STORES, "true")
                                            .preserveOrder(true)
                                            .build())
                            .take(10);
            float[][] expected = Fixtures.ref("simple_classifier", "output");
            assertEquals(expected.length, scored.size());
            for (int i = 0; i < expected.length; i++) {
                List<?> score = (List<?>) scored.get(i).get("score");
                for (int j = 0; j < expected[i].length; j++) {
                    assertEquals(expected[i][j], ((Number) score.get(j)).floatValue(), 1e-6);
                }
            }
            assertTrue(Files.isDirectory(store), "materialized from the published Ray objects");
            WeightStore.local().verify(Stores.of(wrapper));
            assertNoTornCopy(store.getParent());
        }
    }

    private static void assertNoTornCopy(Path root) throws Exception {
        try (var s = Files.list(root)) {
            assertEquals(
                    0,
                    s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).count(),
                    "no torn copy left");
        }
    }

    private static void deleteStore(Path dir) throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        FileTrees.deleteTree(dir);
    }
}
