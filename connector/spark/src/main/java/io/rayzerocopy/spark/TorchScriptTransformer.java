package io.rayzerocopy.spark;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.TorchScriptModel;

import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.List;

/**
 * A Spark ML {@link Transformer} scoring a TorchScript model: appends {@code outputCol}
 * (array&lt;float&gt;, the model's outputs for the row) computed from {@code inputCol}
 * (array&lt;float&gt;, array&lt;double&gt; or an ML vector); every other column passes through
 * untouched. The first {@code transform} writes the weights to this machine's weight store; every
 * executor maps its machine's one copy, and keeps its scorers across tasks. Usable as a stage of an
 * ML {@code Pipeline}. Runs {@link ModelScorer} through {@link DataFrames}.
 *
 * <pre>{@code
 * new TorchScriptTransformer().setModelPath("model.pt").setInputCol("features")
 *         .setOutputCol("scores").setBatchSize(256).transform(df);
 * }</pre>
 *
 * <p>The model's store stays in use while this JVM holds the transformer's wrapper (until the JVM
 * exits).
 */
public final class TorchScriptTransformer extends Transformer {
    private static final long serialVersionUID = 1L;
    private static final DataType SCORES = DataTypes.createArrayType(DataTypes.FloatType, false);

    private final String uid;
    // Spark finds params through public no-argument methods returning a Param (Params.params
    // reflects on methods, not fields): each param has one.
    private final Param<String> modelPath;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final IntParam batchSize;
    private final IntParam actors;
    private transient ModelWrapper<Model> wrapper;

    /** A transformer with a random uid. */
    public TorchScriptTransformer() {
        this(Identifiable.randomUID("torchScript"));
    }

    /** A transformer with {@code uid}; {@code copy} uses it. */
    public TorchScriptTransformer(String uid) {
        this.uid = uid;
        modelPath =
                new Param<>(
                        this,
                        "modelPath",
                        "TorchScript file on the driver, or its hdfs:// (s3a://...) URI");
        inputCol = new Param<>(this, "inputCol", "input column: array<float|double> or vector");
        outputCol = new Param<>(this, "outputCol", "output column: array<float>");
        batchSize = new IntParam(this, "batchSize", "rows per model call", ParamValidators.gt(0));
        actors = new IntParam(this, "actors", "actors per task", ParamValidators.gt(0));
        setDefault(outputCol, "prediction");
        setDefault(batchSize, 256);
        setDefault(actors, 1);
    }

    /** The TorchScript file. */
    public Param<String> modelPath() {
        return modelPath;
    }

    /** The column holding each row's features. */
    public Param<String> inputCol() {
        return inputCol;
    }

    /** The column the scores go to (default {@code prediction}). */
    public Param<String> outputCol() {
        return outputCol;
    }

    /** Rows per model call (default 256). */
    public IntParam batchSize() {
        return batchSize;
    }

    /** Actors (threads of the executor, one model mapping shared) per task (default 1). */
    public IntParam actors() {
        return actors;
    }

    public TorchScriptTransformer setModelPath(String path) {
        set(modelPath, path);
        return this;
    }

    public TorchScriptTransformer setInputCol(String column) {
        set(inputCol, column);
        return this;
    }

    public TorchScriptTransformer setOutputCol(String column) {
        set(outputCol, column);
        return this;
    }

    public TorchScriptTransformer setBatchSize(int rows) {
        set(batchSize, rows);
        return this;
    }

    public TorchScriptTransformer setActors(int count) {
        set(actors, count);
        return this;
    }

    @Override
    public String uid() {
        return uid;
    }

    /**
     * {@code schema} with {@code outputCol} (array&lt;float&gt;) appended.
     *
     * @throws IllegalArgumentException if the input column is missing or of another type, or the
     *     output column exists
     */
    @Override
    public StructType transformSchema(StructType schema) {
        String in = $(inputCol);
        String out = $(outputCol);
        List<String> columns = List.of(schema.fieldNames());
        if (!columns.contains(in)) {
            throw new IllegalArgumentException(
                    "input column '" + in + "' does not exist; the columns are " + columns);
        }
        DataType type = schema.apply(in).dataType();
        boolean numeric =
                type.equals(SQLDataTypes.VectorType())
                        || (type instanceof ArrayType a
                                && (a.elementType().equals(DataTypes.FloatType)
                                        || a.elementType().equals(DataTypes.DoubleType)));
        if (!numeric) {
            throw new IllegalArgumentException(
                    "input column '"
                            + in
                            + "' has type "
                            + type.simpleString()
                            + "; give array<float>, array<double> or vector");
        }
        if (columns.contains(out)) {
            throw new IllegalArgumentException(
                    "output column '" + out + "' already exists; choose another outputCol");
        }
        return schema.add(new StructField(out, SCORES, false, Metadata.empty()));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        return DataFrames.appendColumns(
                dataset.toDF(),
                List.of($(inputCol)),
                ModelScorer::new,
                ModelScorer.config(wrapper())
                        .inputColumn($(inputCol))
                        .outputColumn($(outputCol))
                        .build(),
                (Integer) $(batchSize),
                ActorPoolStrategy.size((Integer) $(actors)),
                new StructType()
                        .add(new StructField($(outputCol), SCORES, false, Metadata.empty())));
    }

    @Override
    public TorchScriptTransformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** The model's wrapper, its weights written to this machine's store on first use. */
    private synchronized ModelWrapper<Model> wrapper() {
        if (wrapper == null) {
            if (!isDefined(modelPath)) {
                throw new IllegalArgumentException(
                        "set the TorchScript file with setModelPath before transforming");
            }
            wrapper =
                    ModelWrapper.fromModel(TorchScriptModel.fromUri($(modelPath)), Mode.ACTOR);
        }
        return wrapper;
    }
}
