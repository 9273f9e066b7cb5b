package io.rayzerocopy.examples;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;

import io.rayzerocopy.Batch;
import io.rayzerocopy.BatchFn;
import io.rayzerocopy.ModelWrapper;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The guide's InferenceActor: loads the model once per actor (zero-copy, on CPU), then scores
 * batches. The model belongs to the actor: it is closed when the actor stops.
 */
public final class InferenceActor implements BatchFn {
    private final Predictor<NDList, NDList> predictor;

    public InferenceActor(ModelWrapper<Model> wrapper) {
        Model model = wrapper.load();
        this.predictor = model.newPredictor(new NoopTranslator());
    }

    @Override
    public VectorSchemaRoot call(Batch batch) throws TranslateException {
        NDArray inputs = batch.tensor("data");
        NDArray outputs = predictor.predict(new NDList(inputs)).singletonOrThrow();
        return batch.output().put("predictions", outputs).build();
    }

    @Override
    public void close() {
        predictor.close();
    }
}
