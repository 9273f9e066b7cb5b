package io.rayzerocopy.cli;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;

import io.rayzerocopy.Batch;
import io.rayzerocopy.BatchFn;
import io.rayzerocopy.ModelWrapper;

import org.apache.arrow.vector.VectorSchemaRoot;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * The actor behind {@code rzc score} and {@code rzc demo}: loads the wrapped model once (zero-copy)
 * and, per batch, turns the feature column(s) into a tensor, runs the model, and returns the scores
 * next to the kept columns. A single-output model gives a float column; several outputs a
 * fixed-size list.
 */
public final class ScoreActor implements BatchFn {
    /** What to read, write and keep; serializable so it travels with the actor. */
    public record Spec(
            ModelWrapper wrapper,
            String inputColumn,
            List<String> featureColumns,
            String outputColumn,
            List<String> keepColumns)
            implements Serializable {
        public Spec {
            Objects.requireNonNull(wrapper, "wrapper");
            Objects.requireNonNull(outputColumn, "outputColumn");
            featureColumns = List.copyOf(featureColumns);
            keepColumns = List.copyOf(keepColumns);
            if ((inputColumn == null) == featureColumns.isEmpty()) {
                throw new IllegalArgumentException(
                        "give either one input column (a list of floats) or feature columns");
            }
        }
    }

    private final Spec spec;
    private final Model model;
    private final Predictor<NDList, NDList> predictor;

    /** Loads the model; called once per actor. */
    public ScoreActor(Spec spec) {
        this.spec = spec;
        this.model = spec.wrapper().load();
        this.predictor = model.newPredictor(new NoopTranslator());
    }

    @Override
    public VectorSchemaRoot call(Batch batch) throws TranslateException {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray features =
                    spec.inputColumn() != null
                            ? batch.tensor(spec.inputColumn(), manager)
                            : batch.tensor(spec.featureColumns(), manager);
            NDArray scores = predictor.predict(new NDList(features)).singletonOrThrow();
            if (scores.getShape().dimension() == 2 && scores.getShape().get(1) == 1) {
                scores = scores.reshape(scores.getShape().get(0));
            }
            return batch.output()
                    .keep(spec.keepColumns().toArray(String[]::new))
                    .put(spec.outputColumn(), scores)
                    .build();
        }
    }

    @Override
    public void close() {
        predictor.close();
        model.close();
    }
}
