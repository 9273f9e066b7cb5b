package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoopTranslator;
import io.rayzerocopy.model.TorchScriptModel;
import org.junit.jupiter.api.Test;

class ModelWrapperTest {
    @Test
    void torchScriptFileLoadsZeroCopyAndMatchesPython() throws Exception {
        try (ModelWrapper wrapper = ModelWrapper.fromModel(TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")), Mode.ACTOR);
                Model model = wrapper.load();
                Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());
                NDManager manager = NDManager.newBaseManager()) {
            NDList out = predictor.predict(new NDList(Fixtures.refArray(manager, "simple_classifier", "input")));
            double diff = Fixtures.maxAbsDiff(out.singletonOrThrow(), Fixtures.ref("simple_classifier", "output"));
            assertTrue(diff <= 1e-6, "max abs diff " + diff);
            assertEquals(4, wrapper.store().tensors().size());
            long skeleton = wrapper.store().files().values().iterator().next();
            assertTrue(skeleton < 20_000, "skeleton has " + skeleton + " bytes");
        }
    }
}
