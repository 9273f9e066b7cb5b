package io.rayzerocopy.bench;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

import io.rayzerocopy.Batch;
import io.rayzerocopy.BatchFn;

import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Paths;

/**
 * The baseline a JVM user writes today: every worker loads its own copy of the model with DJL and
 * calls a {@link Predictor} once per row (batch size 1) through a {@code float[] → float[]} {@link
 * Translator}. It runs inside our pipeline, so reading and writing Parquet cost the same as in the
 * zero-copy path and the comparison isolates how the model is called.
 */
public final class RowByRowActor implements BatchFn {
    /**
     * Where the worker loads its model from: DJL parameters saved with {@code Model.save(dir,
     * name)}.
     */
    public record Source(ScoringModel model, String dir, String name) implements Serializable {}

    private final Model model;
    private final Predictor<float[], float[]> predictor;

    /** Loads a private copy of the model (DJL's own load). */
    public RowByRowActor(Source source) throws IOException, MalformedModelException {
        model = Model.newInstance(source.name(), Device.cpu(), "PyTorch");
        model.setBlock(source.model().factory().create());
        model.load(Paths.get(source.dir()), source.name());
        predictor = model.newPredictor(new RowTranslator());
    }

    @Override
    public VectorSchemaRoot call(Batch batch) throws TranslateException {
        FixedSizeListVector features = (FixedSizeListVector) batch.root().getVector("features");
        Float4Vector values = (Float4Vector) features.getDataVector();
        int dim = features.getListSize();
        int rows = batch.rowCount();
        float[] scores = new float[rows * ScoringModel.OUTPUTS];
        for (int r = 0; r < rows; r++) {
            float[] row = new float[dim];
            for (int j = 0; j < dim; j++) {
                row[j] = values.get(r * dim + j);
            }
            System.arraycopy(
                    predictor.predict(row),
                    0,
                    scores,
                    r * ScoringModel.OUTPUTS,
                    ScoringModel.OUTPUTS);
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            return batch.output()
                    .keep("id")
                    .put("scores", manager.create(scores, new Shape(rows, ScoringModel.OUTPUTS)))
                    .build();
        }
    }

    @Override
    public void close() {
        predictor.close();
        model.close();
    }

    /**
     * One row in, its scores out; DJL's default batchifier adds and removes the batch dimension.
     */
    private static final class RowTranslator implements Translator<float[], float[]> {
        @Override
        public NDList processInput(TranslatorContext ctx, float[] row) {
            return new NDList(ctx.getNDManager().create(row));
        }

        @Override
        public float[] processOutput(TranslatorContext ctx, NDList list) {
            return list.singletonOrThrow().toFloatArray();
        }
    }
}
