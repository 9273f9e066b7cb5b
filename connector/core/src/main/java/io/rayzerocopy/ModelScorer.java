package io.rayzerocopy;

import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import io.rayzerocopy.internal.data.Allocators;
import io.rayzerocopy.internal.data.BatchMetadata;
import io.rayzerocopy.internal.data.Tensors;
import io.rayzerocopy.internal.model.MethodSignature;
import io.rayzerocopy.internal.model.ModelCall;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A ready-made scoring actor: loads the wrapped model once (zero-copy) and, per batch, feeds the
 * input columns to the model's forward (one column per argument, or numeric feature columns stacked
 * into one tensor), and writes one column per output next to the kept columns. It is what {@code
 * rzc score} runs.
 *
 * <pre>{@code
 * Dataset.readParquet("features/")
 *     .mapBatches(ModelScorer::new,
 *                 ModelScorer.config(wrapper).inputColumns("features", "mask").keepColumns("id").build(),
 *                 256, ActorPoolStrategy.size(4))
 *     .writeParquet("scores/");
 * }</pre>
 *
 * <p>Inputs: a (fixed-size) list column gives a [rows, n] tensor, a numeric column [rows]; float
 * columns are cast to the type of the model's first floating-point weight (float32, float64 or
 * float16); a model with bfloat16 weights gets float32 and must cast inside its forward (DJL cannot
 * make bfloat16 tensors). Outputs: a Tensor is one column, a tuple one column per element, a {@code
 * Dict[str, Tensor]} one column per key; an output of shape [rows] (or [rows, 1]) becomes a scalar
 * column, [rows, n] a fixed-size list; integer outputs stay integer, float16 and bfloat16 become
 * float32. NaN and infinite feature values are counted ({@link #NON_FINITE_FEATURES} in the
 * operator's stats) or, with {@link Config.Builder#failOnNonFinite}, fail their batch.
 *
 * <p>The configuration is an {@link InputCheck}: before the job starts, the driver loads the model
 * and runs it on one row of the input, so a column the model cannot take fails the job at once with
 * a message naming the column, the argument and libtorch's own cause.
 */
public final class ModelScorer implements BatchFn {
    /** The counter of NaN and infinite values met in the input columns. */
    public static final String NON_FINITE_FEATURES = "non_finite_features";

    private final Config config;
    private final ModelCall model;

    /** Loads the model; called once per actor. */
    public ModelScorer(Config config) {
        this(config, Objects.requireNonNull(config, "config").wrapper().load());
    }

    private ModelScorer(Config config, Model model) {
        this.config = config;
        this.model = ModelCall.forward(model);
    }

    /** Starts a configuration scoring with {@code wrapper}'s model. */
    public static Config.Builder config(ModelWrapper<Model> wrapper) {
        return new Config.Builder(wrapper);
    }

    @Override
    public VectorSchemaRoot call(Batch batch) {
        List<NDArray> inputs = inputs(batch);
        if (batch.rowCount() == 0 && inputs.stream().anyMatch(ModelScorer::widthUnknown)) {
            return emptyOutput(batch);
        }
        long nonFinite = anyNonFinite(inputs) ? countNonFinite(batch) : 0;
        ModelCall.Outputs outputs = model.run(inputs, batch.manager());
        if (nonFinite > 0) {
            batch.count(NON_FINITE_FEATURES, nonFinite);
        }
        return write(batch, outputs);
    }

    private List<NDArray> inputs(Batch batch) {
        if (!config.featureColumns().isEmpty()) {
            return List.of(batch.tensor(config.featureColumns()));
        }
        return config.inputColumns().stream().map(batch::tensor).toList();
    }

    /**
     * Whether a float input may hold a NaN or an infinity: their sum, one vectorized pass in
     * libtorch over the tensors made anyway, is finite when none does (a sum that overflows only
     * sends the batch to the exact count). The exact count, a scan of the columns in Java that
     * costs a fresh worker JVM more than the forward pass of a small model, then runs only for the
     * batches that may have some.
     */
    private static boolean anyNonFinite(List<NDArray> inputs) {
        for (NDArray x : inputs) {
            double sum =
                    switch (x.getDataType()) {
                        case FLOAT32 -> x.sum().getFloat();
                        case FLOAT64 -> x.sum().getDouble();
                        case FLOAT16 -> x.sum().toType(DataType.FLOAT32, false).getFloat();
                        default -> 0;
                    };
            if (!Double.isFinite(sum)) {
                return true;
            }
        }
        return false;
    }

    private long countNonFinite(Batch batch) {
        long total = 0;
        for (String column : config.readInputs()) {
            Tensors.NonFinite found = Tensors.nonFinite(batch.root(), column);
            if (found.values() > 0 && config.failOnNonFinite()) {
                throw new IllegalArgumentException(
                        "column '"
                                + column
                                + "' holds NaN or infinite values ("
                                + found.values()
                                + " in this batch), the first at "
                                + BatchMetadata.row(batch.root(), found.firstRow())
                                + ": fill or filter them, or count them instead of failing");
            }
            total += found.values();
        }
        return total;
    }

    private VectorSchemaRoot write(Batch batch, ModelCall.Outputs outputs) {
        Batch.Output out = batch.output().keep(config.keepColumns().toArray(String[]::new));
        List<String> keys = new ArrayList<>(outputs.tensors().keySet());
        List<String> names = config.outputColumns();
        if (outputs.dict()) {
            for (String name : names) {
                if (!keys.contains(name)) {
                    throw new IllegalArgumentException(
                            "the model returns a dict with keys "
                                    + keys
                                    + ", not '"
                                    + name
                                    + "': name output columns after its keys (default: all)");
                }
            }
            for (String key : names.isEmpty() ? keys : names) {
                out.put(key, scalarIfOneColumn(outputs.tensors().get(key)));
            }
            return out.build();
        }
        if (!names.isEmpty() && names.size() != keys.size()) {
            throw new IllegalArgumentException(
                    "the model returns "
                            + keys.size()
                            + " tensor(s) but "
                            + names.size()
                            + " output column name(s) were given, "
                            + names
                            + ": name one column per tensor, in order");
        }
        for (int i = 0; i < keys.size(); i++) {
            String name =
                    !names.isEmpty()
                            ? names.get(i)
                            : keys.size() == 1
                                    ? Config.DEFAULT_OUTPUT
                                    : Config.DEFAULT_OUTPUT + "_" + i;
            out.put(name, scalarIfOneColumn(outputs.tensors().get(keys.get(i))));
        }
        return out.build();
    }

    /**
     * Whether {@code input} is a batch without rows whose row width is unknown: a list column
     * without a fixed width (as Spark and Hive write them) tells its width only through its values.
     */
    private static boolean widthUnknown(NDArray input) {
        Shape shape = input.getShape();
        return shape.dimension() > 1 && shape.size() == 0 && shape.get(1) == 0;
    }

    /**
     * The output of a batch without rows whose model cannot run (see {@link #widthUnknown}): the
     * kept columns and each named output column (default {@value Config#DEFAULT_OUTPUT}) as float
     * lists, so an input of empty files gives an empty output that reads back.
     */
    private VectorSchemaRoot emptyOutput(Batch batch) {
        Batch.Output out = batch.output().keep(config.keepColumns().toArray(String[]::new));
        List<String> names = config.outputColumns();
        for (String name : names.isEmpty() ? List.of(Config.DEFAULT_OUTPUT) : names) {
            out.put(name, batch.manager().zeros(new Shape(0, 0), DataType.FLOAT32));
        }
        return out.build();
    }

    private static NDArray scalarIfOneColumn(NDArray array) {
        Shape shape = array.getShape();
        return shape.dimension() == 2 && shape.get(1) == 1 ? array.reshape(shape.get(0)) : array;
    }

    /** The model stays open: in an actor, the actor closes the models it loaded when it stops. */
    @Override
    public void close() {}

    /**
     * Runs this scorer's own call on one row of {@code sample} on the driver (see {@link
     * Config#checkInput}).
     */
    private void probe(VectorSchemaRoot sample, BufferAllocator allocator) {
        int row = firstCompleteRow(sample);
        if (row < 0) {
            return;
        }
        try (VectorSchemaRoot one = BatchMetadata.slice(sample, row, 1, allocator)) {
            Batch batch = new Batch(one, allocator);
            try {
                List<NDArray> inputs = inputs(batch);
                ModelCall.Outputs outputs;
                try {
                    outputs = model.run(inputs, batch.manager());
                } catch (EngineException e) {
                    String hint = model.inputHint();
                    throw new IllegalArgumentException(
                            "the model does not take "
                                    + describeInputs(one)
                                    + ": "
                                    + ModelCall.cause(e.getCause() == null ? e : e.getCause())
                                    + (hint.isEmpty() ? "" : "; " + hint)
                                    + " (tried on "
                                    + BatchMetadata.row(one, 0)
                                    + ")",
                            e);
                }
                write(batch, outputs).close();
            } finally {
                batch.release();
            }
        }
    }

    /**
     * E.g. {@code column 'x' (list<double>, 8 values per row) as argument 'x' of forward(x, m)}.
     */
    private String describeInputs(VectorSchemaRoot one) {
        MethodSignature signature = model.signature();
        List<String> labels = config.inputLabels();
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            String shape =
                    config.featureColumns().isEmpty()
                            ? describe(one.getVector(config.inputColumns().get(i)))
                            : "stacked into float32, " + labels.size() + " values per row";
            String argument =
                    signature == null || i >= signature.args().size()
                            ? ""
                            : " as argument '"
                                    + signature.args().get(i).name()
                                    + "' of "
                                    + signature;
            parts.add(labels.get(i) + " (" + shape + ")" + argument);
        }
        return String.join(" and ", parts);
    }

    /** A column's type and width, e.g. {@code list<double>, 64 values per row}. */
    private static String describe(FieldVector vector) {
        Field field = vector.getField();
        if (field.getChildren().isEmpty()) {
            return typeName(field.getType()) + ", one value per row";
        }
        int width =
                vector instanceof FixedSizeListVector fixed
                        ? fixed.getListSize()
                        : ((ListVector) vector).getElementEndIndex(0)
                                - ((ListVector) vector).getElementStartIndex(0);
        return (vector instanceof FixedSizeListVector ? "fixed_size_list<" : "list<")
                + typeName(field.getChildren().get(0).getType())
                + ">, "
                + width
                + " values per row";
    }

    private static String typeName(ArrowType type) {
        if (type instanceof ArrowType.Int i) {
            return (i.getIsSigned() ? "int" : "uint") + i.getBitWidth();
        }
        if (type instanceof ArrowType.FloatingPoint f) {
            return switch (f.getPrecision()) {
                case HALF -> "float16";
                case SINGLE -> "float";
                case DOUBLE -> "double";
            };
        }
        return type.toString();
    }

    private int firstCompleteRow(VectorSchemaRoot sample) {
        for (int r = 0; r < sample.getRowCount(); r++) {
            boolean complete = true;
            for (String column : config.readInputs()) {
                complete &= !sample.getVector(column).isNull(r);
            }
            if (complete) {
                return r;
            }
        }
        return -1;
    }

    /**
     * What a {@link ModelScorer} reads, writes and keeps; immutable and serializable, so it travels
     * with the actor.
     */
    public static final class Config implements Serializable, InputCheck {
        private static final long serialVersionUID = 2L;
        private static final String DEFAULT_OUTPUT = "score";
        private final ModelWrapper<Model> wrapper;
        private final List<String> inputColumns;
        private final List<String> featureColumns;
        private final List<String> outputColumns;
        private final List<String> keepColumns;
        private final boolean failOnNonFinite;

        private Config(Builder b) {
            this.wrapper = b.wrapper;
            this.inputColumns = b.inputColumns;
            this.featureColumns = b.featureColumns;
            this.outputColumns = b.outputColumns;
            this.keepColumns = b.keepColumns;
            this.failOnNonFinite = b.failOnNonFinite;
        }

        /** The wrapped model. */
        public ModelWrapper<Model> wrapper() {
            return wrapper;
        }

        /** The columns fed to forward's arguments, in order, or empty. */
        public List<String> inputColumns() {
            return inputColumns;
        }

        /** The numeric columns stacked into forward's one argument, one feature each, or empty. */
        public List<String> featureColumns() {
            return featureColumns;
        }

        /**
         * The output columns: one per tensor the model returns, or the dict keys to write; empty
         * for the defaults ({@code score} for one tensor, {@code score_0}, {@code score_1}, ... for
         * a tuple, every key of a dict).
         */
        public List<String> outputColumns() {
            return outputColumns;
        }

        /** Input columns copied next to the scores, such as ids. */
        public List<String> keepColumns() {
            return keepColumns;
        }

        /** Whether a NaN or infinite input value fails its batch (else it is counted). */
        public boolean failOnNonFinite() {
            return failOnNonFinite;
        }

        /** The input columns this configuration reads. */
        public List<String> readColumns() {
            List<String> read = new ArrayList<>(readInputs());
            for (String keep : keepColumns) {
                if (!read.contains(keep)) {
                    read.add(keep);
                }
            }
            return read;
        }

        private List<String> readInputs() {
            return featureColumns.isEmpty() ? inputColumns : featureColumns;
        }

        /**
         * Checks on the driver, before any actor starts, that the input has the columns this
         * configuration reads, that the model's forward takes as many tensors as there are input
         * columns, and that the model runs on the first row whose input columns are not null.
         *
         * @throws IllegalArgumentException naming the column, the argument and what the model
         *     expects (libtorch's own words)
         */
        @Override
        public void checkInput(VectorSchemaRoot sample) {
            List<String> have =
                    sample.getSchema().getFields().stream().map(Field::getName).toList();
            for (String column : readColumns()) {
                if (!have.contains(column)) {
                    throw new IllegalArgumentException(
                            "column '"
                                    + column
                                    + "' does not exist; the input has columns "
                                    + have);
                }
            }
            try (BufferAllocator allocator = Allocators.child("scorer-check");
                    Model loaded = wrapper.load()) {
                ModelScorer scorer = new ModelScorer(this, loaded);
                checkSignature(scorer.model.signature());
                scorer.probe(sample, allocator);
            }
        }

        private void checkSignature(MethodSignature signature) {
            if (signature == null) {
                return;
            }
            List<String> given = inputLabels();
            List<MethodSignature.Arg> args = signature.args();
            for (int i = 0; i < Math.min(given.size(), args.size()); i++) {
                if (!args.get(i).takesTensor()) {
                    throw new IllegalArgumentException(
                            signature
                                    + ": argument '"
                                    + args.get(i).name()
                                    + "' is "
                                    + args.get(i).type()
                                    + ", not a Tensor, so "
                                    + given.get(i)
                                    + " cannot feed it: a scorer passes tensors only");
                }
            }
            if (given.size() > args.size()) {
                throw new IllegalArgumentException(
                        signature
                                + " takes "
                                + args.size()
                                + " argument(s) but "
                                + given.size()
                                + " inputs were given ("
                                + String.join(", ", given)
                                + "): give one input column per argument");
            }
            for (int i = given.size(); i < args.size(); i++) {
                if (!args.get(i).hasDefault()) {
                    throw new IllegalArgumentException(
                            signature
                                    + " needs argument '"
                                    + args.get(i).name()
                                    + "' ("
                                    + args.get(i).type()
                                    + ") but only "
                                    + given.size()
                                    + " input(s) were given ("
                                    + String.join(", ", given)
                                    + "): add an input column for it, in argument order");
                }
            }
        }

        /** The inputs for messages: {@code column 'x'} each, or the stacked feature columns. */
        private List<String> inputLabels() {
            return featureColumns.isEmpty()
                    ? inputColumns.stream().map(c -> "column '" + c + "'").toList()
                    : List.of("feature columns " + featureColumns);
        }

        @Override
        public String toString() {
            return "ModelScorer.Config{"
                    + (featureColumns.isEmpty()
                            ? "inputs " + inputColumns
                            : "features " + featureColumns)
                    + " -> "
                    + (outputColumns.isEmpty() ? "default outputs" : outputColumns)
                    + ", keep "
                    + keepColumns
                    + (failOnNonFinite ? ", fail on non-finite" : "")
                    + ", "
                    + wrapper
                    + "}";
        }

        /** Builds a {@link Config}. */
        public static final class Builder {
            private final ModelWrapper<Model> wrapper;
            private List<String> inputColumns = List.of();
            private List<String> featureColumns = List.of();
            private List<String> outputColumns = List.of();
            private List<String> keepColumns = List.of();
            private boolean failOnNonFinite;

            private Builder(ModelWrapper<Model> wrapper) {
                this.wrapper = Objects.requireNonNull(wrapper, "wrapper");
                if (wrapper.mode() != Mode.ACTOR) {
                    throw new IllegalArgumentException(
                            "a scorer loads its model in each actor: wrap it with Mode.ACTOR");
                }
            }

            /** One column holding each row's features, fed to forward's one argument. */
            public Builder inputColumn(String column) {
                return inputColumns(column);
            }

            /**
             * The columns fed to forward's arguments, in argument order (e.g. {@code "features",
             * "mask"} for {@code forward(x, mask)}); trailing arguments with defaults may be left
             * out.
             */
            public Builder inputColumns(String... columns) {
                this.inputColumns = names(columns, "inputColumns");
                return this;
            }

            /** Numeric columns, one feature each, stacked into a [rows, n] float tensor. */
            public Builder featureColumns(String... columns) {
                this.featureColumns = names(columns, "featureColumns");
                return this;
            }

            /** The column for a model's one output (default {@code score}). */
            public Builder outputColumn(String column) {
                return outputColumns(column);
            }

            /**
             * The output columns: one per tensor of a tuple the model returns, in order; for a
             * dict, the keys to write (default: every key, named after it).
             */
            public Builder outputColumns(String... columns) {
                this.outputColumns = names(columns, "outputColumns");
                return this;
            }

            /** Input columns to copy next to the scores, e.g. ids. */
            public Builder keepColumns(String... columns) {
                this.keepColumns = List.copyOf(Arrays.asList(columns));
                return this;
            }

            /**
             * Whether a NaN or infinite value in an input column fails its batch, naming the row
             * (default false: such values are counted as {@link #NON_FINITE_FEATURES}).
             */
            public Builder failOnNonFinite(boolean fail) {
                this.failOnNonFinite = fail;
                return this;
            }

            /**
             * The configuration.
             *
             * @throws IllegalArgumentException unless exactly one of input columns and feature
             *     columns is given
             */
            public Config build() {
                if (inputColumns.isEmpty() == featureColumns.isEmpty()) {
                    throw new IllegalArgumentException(
                            "give either input columns (one per argument of forward) or feature"
                                    + " columns (one number each), not "
                                    + (inputColumns.isEmpty() ? "neither" : "both"));
                }
                return new Config(this);
            }

            private static List<String> names(String[] columns, String what) {
                List<String> list = List.copyOf(Arrays.asList(columns));
                if (list.isEmpty() || list.stream().distinct().count() != list.size()) {
                    throw new IllegalArgumentException(
                            what + " needs distinct column names, got " + list);
                }
                return list;
            }
        }
    }
}
