package io.rayzerocopy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;

import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.TorchScriptModel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

class WeightStoresTest {
    @Test
    void aModelIsDescribedAsTheStoreItsWrappingMakesWithoutWritingIt() {
        TorchScriptModel pt = TorchScriptModel.fromFile(Fixtures.path("batchnorm_net.pt"));
        ModelDescription d = ModelDescription.of(pt);
        WeightStores stores = WeightStores.local();
        assertFalse(Files.exists(stores.directory(d.storeId())), "describing writes no store");
        assertEquals(6, d.tensors().size(), "fc1, bn and fc2 weights and biases");
        assertEquals(
                List.of(
                        "bn.running_mean Float[32] 128 bytes",
                        "bn.running_var Float[32] 128 bytes",
                        "bn.num_batches_tracked Long[] 8 bytes"),
                d.privateTensors());
        assertTrue(d.skeletonBytes() > 0);
        try (ModelWrapper<Model> wrapper = ModelWrapper.fromModel(pt, Mode.ACTOR)) {
            assertEquals(wrapper.storeId(), d.storeId());
            List<TensorInfo> stored = stores.tensors(d.storeId());
            assertEquals(
                    d.tensors().stream().map(TensorInfo::toString).toList(),
                    stored.stream().map(TensorInfo::toString).toList());
            assertEquals(d.parameterBytes(), stored.stream().mapToLong(TensorInfo::bytes).sum());
        }
    }

    @Test
    void aModelsForwardSignatureIsReadFromItsSkeleton() {
        assertEquals(
                Optional.of("forward(Tensor x, Tensor? mask=...)"),
                ModelDescription.of(TorchScriptModel.fromFile(Fixtures.path("optional_mask.pt")))
                        .signature());
    }

    @Test
    void aStoreInUseIsListedWithItsLeaseAndMeasuredInThisProcess() {
        TorchScriptModel pt = TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt"));
        WeightStores stores = WeightStores.local();
        // File times may be a little behind the clock: a second of slack.
        Instant started = Instant.now().minusSeconds(1);
        try (ModelWrapper<Model> wrapper = ModelWrapper.fromModel(pt, Mode.ACTOR);
                Model model = wrapper.load()) {
            StoreInfo info = stores.describe(wrapper.storeId()).orElseThrow();
            assertEquals(StoreInfo.State.IN_USE, info.state());
            assertTrue(info.liveLeases() >= 1, info.toString());
            assertTrue(info.writerPid().isEmpty());
            assertFalse(
                    info.lastUse().isBefore(started), "leased during the test: " + info.lastUse());
            assertTrue(info.bytes() >= ModelDescription.of(pt).parameterBytes(), info.toString());
            StoreMemory memory = stores.memory(wrapper.storeId());
            // Only touched pages count as mapped: before a forward pass, this process holds the
            // lease whatever it has mapped.
            assertEquals(1, memory.holders(), memory.toString());
            assertTrue(memory.processPssBytes() > 0, memory.toString());
        }
    }

    @Test
    void lookingAtAMissingStoreDirectoryCreatesNothing(@TempDir Path tmp) {
        WeightStores none = WeightStores.at(tmp.resolve("none"));
        assertEquals(List.of(), none.list());
        assertEquals(List.of(), none.gc());
        assertTrue(none.describe("rzc-0").isEmpty());
        assertFalse(Files.exists(tmp.resolve("none")));
    }
}
