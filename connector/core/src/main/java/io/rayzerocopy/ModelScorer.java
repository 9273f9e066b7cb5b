package io.rayzerocopy;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;

import org.apache.arrow.vector.VectorSchemaRoot;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A ready-made scoring actor: loads the wrapped model once (zero-copy) and, per batch, turns the
 * input column (or the feature columns) into a tensor, runs the model, and returns the scores next
 * to the kept columns. A model with one output per row gives a scalar column, several outputs a
 * fixed-size list column. It is what {@code rzc score} runs.
 *
 * <pre>{@code
 * Dataset.readParquet("features/")
 *     .mapBatches(ModelScorer::new,
 *                 ModelScorer.config(wrapper).inputColumn("features").keepColumns("id").build(),
 *                 256, ActorPoolStrategy.size(4))
 *     .writeParquet("scores/");
 * }</pre>
 */
public final class ModelScorer implements BatchFn {
    private final Config config;
    private final Predictor<NDList, NDList> predictor;

    /** Loads the model; called once per actor. */
    public ModelScorer(Config config) {
        this.config = Objects.requireNonNull(config, "config");
        Model model = config.wrapper().load();
        this.predictor = model.newPredictor(new NoopTranslator());
    }

    /** Starts a configuration scoring with {@code wrapper}'s model. */
    public static Config.Builder config(ModelWrapper<Model> wrapper) {
        return new Config.Builder(wrapper);
    }

    @Override
    public VectorSchemaRoot call(Batch batch) throws TranslateException {
        NDArray features =
                config.inputColumn() != null
                        ? batch.tensor(config.inputColumn())
                        : batch.tensor(config.featureColumns());
        NDArray scores = predictor.predict(new NDList(features)).singletonOrThrow();
        if (scores.getShape().dimension() == 2 && scores.getShape().get(1) == 1) {
            scores = scores.reshape(scores.getShape().get(0));
        }
        return batch.output()
                .keep(config.keepColumns().toArray(String[]::new))
                .put(config.outputColumn(), scores)
                .build();
    }

    @Override
    public void close() {
        predictor.close();
    }

    /**
     * What a {@link ModelScorer} reads, writes and keeps; immutable and serializable, so it travels
     * with the actor.
     */
    public static final class Config implements Serializable {
        private static final long serialVersionUID = 1L;
        private final ModelWrapper<Model> wrapper;
        private final String inputColumn;
        private final List<String> featureColumns;
        private final String outputColumn;
        private final List<String> keepColumns;

        private Config(Builder b) {
            this.wrapper = b.wrapper;
            this.inputColumn = b.inputColumn;
            this.featureColumns = b.featureColumns;
            this.outputColumn = b.outputColumn;
            this.keepColumns = b.keepColumns;
        }

        /** The wrapped model. */
        public ModelWrapper<Model> wrapper() {
            return wrapper;
        }

        /** The column holding each row's features (a list of numbers), or null. */
        public String inputColumn() {
            return inputColumn;
        }

        /** The numeric columns stacked into the features, one per feature, or empty. */
        public List<String> featureColumns() {
            return featureColumns;
        }

        /** The column the scores go to. */
        public String outputColumn() {
            return outputColumn;
        }

        /** Input columns copied next to the scores, such as ids. */
        public List<String> keepColumns() {
            return keepColumns;
        }

        /** The input columns this configuration reads. */
        public List<String> readColumns() {
            List<String> read =
                    new java.util.ArrayList<>(
                            inputColumn != null ? List.of(inputColumn) : featureColumns);
            for (String keep : keepColumns) {
                if (!read.contains(keep)) {
                    read.add(keep);
                }
            }
            return read;
        }

        @Override
        public String toString() {
            return "ModelScorer.Config{"
                    + (inputColumn != null ? "input " + inputColumn : "features " + featureColumns)
                    + " -> "
                    + outputColumn
                    + ", keep "
                    + keepColumns
                    + ", "
                    + wrapper
                    + "}";
        }

        /** Builds a {@link Config}. */
        public static final class Builder {
            private final ModelWrapper<Model> wrapper;
            private String inputColumn;
            private List<String> featureColumns = List.of();
            private String outputColumn = "score";
            private List<String> keepColumns = List.of();

            private Builder(ModelWrapper<Model> wrapper) {
                this.wrapper = Objects.requireNonNull(wrapper, "wrapper");
                if (wrapper.mode() != Mode.ACTOR) {
                    throw new IllegalArgumentException(
                            "a scorer loads its model in each actor: wrap it with Mode.ACTOR");
                }
            }

            /** One column holding each row's features as a list of numbers. */
            public Builder inputColumn(String column) {
                this.inputColumn = Objects.requireNonNull(column, "column");
                return this;
            }

            /** Numeric columns, one feature each, stacked into a [rows, n] float tensor. */
            public Builder featureColumns(String... columns) {
                this.featureColumns = List.copyOf(Arrays.asList(columns));
                return this;
            }

            /** The column for the scores (default {@code score}). */
            public Builder outputColumn(String column) {
                this.outputColumn = Objects.requireNonNull(column, "column");
                return this;
            }

            /** Input columns to copy next to the scores, e.g. ids. */
            public Builder keepColumns(String... columns) {
                this.keepColumns = List.copyOf(Arrays.asList(columns));
                return this;
            }

            /**
             * The configuration.
             *
             * @throws IllegalArgumentException unless exactly one of an input column and feature
             *     columns is given
             */
            public Config build() {
                if ((inputColumn == null) == featureColumns.isEmpty()) {
                    throw new IllegalArgumentException(
                            "give either one input column (a list of numbers per row) or feature"
                                    + " columns (one number each), not "
                                    + (inputColumn == null ? "neither" : "both"));
                }
                return new Config(this);
            }
        }
    }
}
