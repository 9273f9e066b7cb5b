package io.rayzerocopy.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.Stores;
import io.rayzerocopy.TorchScriptModel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Weight-free skeletons: only parameter storages are cut, every buffer keeps its values. */
class TorchScriptSkeletonsTest {
    @TempDir Path tmp;

    private static NDArray forward(Model model, NDManager manager, String fixture) {
        return model.getBlock()
                .forward(
                        new ParameterStore(manager, false),
                        new NDList(Fixtures.refArray(manager, fixture, "input")),
                        false)
                .singletonOrThrow();
    }

    @Test
    void aBufferHoldingExactlyAParametersBytesKeepsItsValuesAfterAZeroCopyLoad() throws Exception {
        Path pt = Fixtures.path("buffer_twin.pt");
        try (ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(TorchScriptModel.fromFile(pt), Mode.ACTOR);
                Model model = wrapper.load();
                NDManager manager = NDManager.newBaseManager()) {
            assertEquals(
                    List.of("fc.weight", "fc.bias"),
                    Stores.of(wrapper).tensors().stream().map(TensorSpec::name).toList());
            long skeleton = Stores.of(wrapper).files().values().iterator().next();
            assertTrue(
                    skeleton < Files.size(pt),
                    "the parameters were cut: skeleton " + skeleton + " of " + Files.size(pt));
            double diff =
                    Fixtures.maxAbsDiff(
                            forward(model, manager, "buffer_twin"),
                            Fixtures.ref("buffer_twin", "output"));
            assertTrue(diff <= 1e-6, "outputs differ from Python's by " + diff);
        }
    }

    @Test
    void theBufferIsListedAsPrivateToEachActor() throws Exception {
        try (ModelExtractor.Extracted x =
                TorchScriptExtractor.of(Fixtures.path("buffer_twin.pt"), null)
                        .extract("", List.of())) {
            assertEquals(List.of("offset Float[8] 32 bytes"), x.privateTensors());
        }
    }

    @Test
    void theLoadBackCheckCatchesABufferThatLostItsValues() throws Exception {
        TorchScriptSkeletons.Archive archive =
                TorchScriptSkeletons.Archive.open(Fixtures.path("buffer_twin.pt"));
        Set<String> parameters = Set.of("fc.weight", "fc.bias");
        assertEquals(
                List.of(),
                loadBack(TorchScriptSkeletons.strip(archive, parameters), archive, parameters));
        // Cutting the buffer as if it were a parameter (its bytes are fc.bias's) loses it.
        Set<String> withBuffer = Set.of("fc.weight", "fc.bias", "offset");
        assertEquals(
                List.of("offset: values differ"),
                loadBack(TorchScriptSkeletons.strip(archive, withBuffer), archive, parameters));
    }

    /** Loads {@code skeleton} in libtorch, writes it back, and compares its buffers with pt's. */
    private List<String> loadBack(
            byte[] skeleton, TorchScriptSkeletons.Archive archive, Set<String> parameters)
            throws Exception {
        Path file = tmp.resolve("skeleton.pt");
        Path written = tmp.resolve("written.pt");
        Files.write(file, skeleton);
        try (Model model = Model.newInstance("probe", Device.cpu(), Djl.engineName())) {
            model.load(file, null, Map.of("trainParam", "true"));
            try (OutputStream out = Files.newOutputStream(written)) {
                JniUtils.writeModule((PtSymbolBlock) model.getBlock(), out, false);
            }
        }
        return TorchScriptSkeletons.changedBuffers(archive, written, parameters);
    }
}
