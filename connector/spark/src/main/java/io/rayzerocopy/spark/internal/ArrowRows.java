package io.rayzerocopy.spark.internal;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Spark rows to Arrow batches and back, with Spark's public API, for the column types a model reads
 * and writes: long, int, float, double, boolean, string, binary, array&lt;float|double&gt; and ML
 * vectors (as list&lt;float&gt;, the dtype TorchScript models take). This is where a DataFrame's
 * rows are converted: value by value, once on the way in and once on the way out.
 */
public final class ArrowRows {
    private ArrowRows() {}

    /**
     * The Arrow schema of batches made from rows of {@code schema}.
     *
     * @throws IllegalArgumentException naming a column of a type with no conversion
     */
    public static Schema toArrow(StructType schema) {
        List<Field> fields = new ArrayList<>();
        for (StructField f : schema.fields()) {
            fields.add(toArrow(f.name(), f.dataType(), f.nullable()));
        }
        return new Schema(fields);
    }

    private static Field toArrow(String name, DataType type, boolean nullable) {
        ArrowType arrow;
        if (type.equals(DataTypes.LongType)) {
            arrow = new ArrowType.Int(64, true);
        } else if (type.equals(DataTypes.IntegerType)) {
            arrow = new ArrowType.Int(32, true);
        } else if (type.equals(DataTypes.FloatType)) {
            arrow = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
        } else if (type.equals(DataTypes.DoubleType)) {
            arrow = new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
        } else if (type.equals(DataTypes.BooleanType)) {
            arrow = ArrowType.Bool.INSTANCE;
        } else if (type.equals(DataTypes.StringType)) {
            arrow = ArrowType.Utf8.INSTANCE;
        } else if (type.equals(DataTypes.BinaryType)) {
            arrow = ArrowType.Binary.INSTANCE;
        } else if (type instanceof ArrayType a
                && (a.elementType().equals(DataTypes.FloatType)
                        || a.elementType().equals(DataTypes.DoubleType))) {
            return list(name, nullable, toArrow("element", a.elementType(), a.containsNull()));
        } else if (type.equals(SQLDataTypes.VectorType())) {
            return list(name, nullable, toArrow("element", DataTypes.FloatType, false));
        } else {
            throw new IllegalArgumentException(
                    "column '"
                            + name
                            + "' has type "
                            + type.simpleString()
                            + ", which mapBatches cannot pass to Arrow (long, int, float, double,"
                            + " boolean, string, binary, array<float|double>, vector); select or"
                            + " cast it first");
        }
        return new Field(name, new FieldType(nullable, arrow, null), null);
    }

    private static Field list(String name, boolean nullable, Field element) {
        return new Field(
                name, new FieldType(nullable, ArrowType.List.INSTANCE, null), List.of(element));
    }

    /**
     * The Spark schema of rows made from batches of {@code schema}: lists and fixed-size lists
     * become arrays.
     *
     * @throws IllegalArgumentException naming a column of a type with no conversion
     */
    public static StructType toSpark(Schema schema) {
        List<StructField> fields = new ArrayList<>();
        for (Field f : schema.getFields()) {
            fields.add(new StructField(f.getName(), toSpark(f), f.isNullable(), Metadata.empty()));
        }
        return new StructType(fields.toArray(new StructField[0]));
    }

    private static DataType toSpark(Field f) {
        ArrowType t = f.getType();
        if (t instanceof ArrowType.Int i && (i.getBitWidth() == 64 || i.getBitWidth() == 32)) {
            return i.getBitWidth() == 64 ? DataTypes.LongType : DataTypes.IntegerType;
        }
        if (t instanceof ArrowType.FloatingPoint fp
                && fp.getPrecision() != FloatingPointPrecision.HALF) {
            return fp.getPrecision() == FloatingPointPrecision.SINGLE
                    ? DataTypes.FloatType
                    : DataTypes.DoubleType;
        }
        if (t instanceof ArrowType.Bool) {
            return DataTypes.BooleanType;
        }
        if (t instanceof ArrowType.Utf8) {
            return DataTypes.StringType;
        }
        if (t instanceof ArrowType.Binary) {
            return DataTypes.BinaryType;
        }
        if (t instanceof ArrowType.List || t instanceof ArrowType.FixedSizeList) {
            Field element = f.getChildren().get(0);
            return DataTypes.createArrayType(toSpark(element), element.isNullable());
        }
        throw new IllegalArgumentException(
                "column '" + f.getName() + "' has Arrow type " + t + ", which has no Spark type");
    }

    /**
     * The fields at {@code ordinals} of {@code rows} as a new batch of {@code schema} allocated
     * from {@code allocator}.
     */
    public static VectorSchemaRoot toBatch(
            List<Row> rows, int[] ordinals, Schema schema, BufferAllocator allocator) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        try {
            for (int c = 0; c < ordinals.length; c++) {
                fill(root.getVector(c), rows, ordinals[c]);
            }
            root.setRowCount(rows.size());
            return root;
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    private static void fill(FieldVector v, List<Row> rows, int c) {
        int n = rows.size();
        if (v instanceof ListVector list) {
            fillList(list, rows, c);
            return;
        }
        v.setInitialCapacity(n);
        v.allocateNew();
        for (int r = 0; r < n; r++) {
            Row row = rows.get(r);
            if (row.isNullAt(c)) {
                v.setNull(r);
            } else if (v instanceof BigIntVector b) {
                b.set(r, row.getLong(c));
            } else if (v instanceof IntVector i) {
                i.set(r, row.getInt(c));
            } else if (v instanceof Float4Vector f) {
                f.set(r, row.getFloat(c));
            } else if (v instanceof Float8Vector d) {
                d.set(r, row.getDouble(c));
            } else if (v instanceof BitVector b) {
                b.set(r, row.getBoolean(c) ? 1 : 0);
            } else if (v instanceof VarCharVector s) {
                s.setSafe(r, row.getString(c).getBytes(StandardCharsets.UTF_8));
            } else if (v instanceof VarBinaryVector b) {
                b.setSafe(r, (byte[]) row.get(c));
            } else {
                throw new IllegalArgumentException(
                        "no conversion to " + v.getClass().getSimpleName());
            }
        }
        v.setValueCount(n);
    }

    private static void fillList(ListVector list, List<Row> rows, int c) {
        list.allocateNew();
        FieldVector data = list.getDataVector();
        int end = 0;
        for (int r = 0; r < rows.size(); r++) {
            Row row = rows.get(r);
            if (row.isNullAt(c)) {
                list.setNull(r);
                continue;
            }
            Object value = row.get(c);
            int start = list.startNewValue(r);
            int length;
            if (value instanceof Vector vector) {
                double[] values = vector.toArray();
                length = values.length;
                for (int j = 0; j < length; j++) {
                    ((Float4Vector) data).setSafe(start + j, (float) values[j]);
                }
            } else {
                List<?> values = row.getList(c);
                length = values.size();
                for (int j = 0; j < length; j++) {
                    Object e = values.get(j);
                    if (e == null) {
                        data.setNull(start + j);
                    } else if (data instanceof Float4Vector f) {
                        f.setSafe(start + j, ((Number) e).floatValue());
                    } else {
                        ((Float8Vector) data).setSafe(start + j, ((Number) e).doubleValue());
                    }
                }
            }
            list.endValue(r, length);
            end = start + length;
        }
        data.setValueCount(end);
        list.setValueCount(rows.size());
    }

    /**
     * The vectors of {@code root} in the order of {@code schema}'s fields.
     *
     * @throws IllegalArgumentException naming a declared column the batch lacks
     */
    public static FieldVector[] columns(VectorSchemaRoot root, StructType schema) {
        FieldVector[] columns = new FieldVector[schema.fields().length];
        for (int c = 0; c < columns.length; c++) {
            String name = schema.fields()[c].name();
            columns[c] = root.getVector(name);
            if (columns[c] == null) {
                throw new IllegalArgumentException(
                        "the actor's batch has no column '"
                                + name
                                + "' of the declared output schema "
                                + schema.simpleString()
                                + "; it has "
                                + root.getSchema().getFields().stream()
                                        .map(Field::getName)
                                        .toList());
            }
        }
        return columns;
    }

    /**
     * Row {@code r} of {@code columns} as values of {@code schema}'s types: lists become primitive
     * arrays (Spark's row encoder takes them for array columns without boxing each element), and a
     * scalar float or double becomes an array of one where {@code schema} declares an array.
     */
    public static Row toRow(FieldVector[] columns, int r, StructType schema) {
        Object[] values = new Object[columns.length];
        for (int c = 0; c < columns.length; c++) {
            Object value = value(columns[c], r);
            if (schema.fields()[c].dataType() instanceof ArrayType
                    && (value instanceof Float || value instanceof Double)) {
                value = value instanceof Float f ? new float[] {f} : new double[] {(Double) value};
            }
            values[c] = value;
        }
        return RowFactory.create(values);
    }

    private static Object value(FieldVector v, int r) {
        if (v.isNull(r)) {
            return null;
        }
        if (v instanceof FixedSizeListVector list) {
            int width = list.getListSize();
            return elements(list.getDataVector(), r * width, width);
        }
        if (v instanceof ListVector list) {
            int start = list.getElementStartIndex(r);
            return elements(list.getDataVector(), start, list.getElementEndIndex(r) - start);
        }
        if (v instanceof VarCharVector s) {
            return new String(s.get(r), StandardCharsets.UTF_8);
        }
        return v.getObject(r);
    }

    private static Object elements(FieldVector data, int start, int count) {
        if (data instanceof Float4Vector f && data.getNullCount() == 0) {
            float[] out = new float[count];
            for (int j = 0; j < count; j++) {
                out[j] = f.get(start + j);
            }
            return out;
        }
        if (data instanceof Float8Vector d && data.getNullCount() == 0) {
            double[] out = new double[count];
            for (int j = 0; j < count; j++) {
                out[j] = d.get(start + j);
            }
            return out;
        }
        Object[] out = new Object[count];
        for (int j = 0; j < count; j++) {
            out[j] = value(data, start + j);
        }
        return out;
    }
}
