package io.rayzerocopy.ray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.Serialization;
import io.rayzerocopy.ZeroCopy;
import io.rayzerocopy.model.StoreSource;
import io.rayzerocopy.model.TorchScriptModel;
import io.rayzerocopy.model.WeightStore;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The cluster path in LOCAL mode: the driver publishes the store as Ray objects; a "node" without
 * the store (simulated by deleting it) materializes it once from them before loading zero-copy.
 */
class RayStoreSourceTest {
    @BeforeAll
    static void startRay() {
        RayCluster.start();
        StoreSource.setPublisher(RayStoreSource::publish);
    }

    @AfterAll
    static void stopRay() {
        RayCluster.shutdown();
    }

    @Test
    void aMachineWithoutTheStoreMaterializesItOnceFromRayObjects() throws Exception {
        try (ModelWrapper wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR)) {
            ModelWrapper shipped =
                    (ModelWrapper) Serialization.deserialize(Serialization.serialize(wrapper));
            Path dir = wrapper.store().directory();
            WeightStore.verify(wrapper.store());
            deleteStore(dir);
            assertFalse(Files.exists(dir));
            List<CompletableFuture<Model>> loads = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                loads.add(CompletableFuture.supplyAsync(shipped::load));
            }
            List<Model> models = new ArrayList<>();
            for (CompletableFuture<Model> f : loads) {
                models.add(f.join());
            }
            assertTrue(Files.isDirectory(dir));
            WeightStore.verify(wrapper.store());
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
            try (var s = Files.list(wrapper.store().root())) {
                assertEquals(
                        0,
                        s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).count(),
                        "no torn copy left");
            }
            models.forEach(Model::close);
        }
    }

    private static void deleteStore(Path dir) throws Exception {
        Files.setPosixFilePermissions(
                dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
