package io.rayzerocopy.internal.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Arrow columns to DJL {@link NDArray}s and back, with one bulk copy of the column's value buffer
 * (no per-element Java loop).
 *
 * <p>The arrays are copies owned by the given {@link NDManager}: they stay valid after the batch
 * they came from is closed.
 */
public final class Tensors {
    private Tensors() {}

    /**
     * One column as an array.
     *
     * <ul>
     *   <li>a fixed-size list, or a list whose rows all have the same length, of float or double:
     *       shape [rows, dim], float32 or float64;
     *   <li>an int32, int64, float or double column: shape [rows], the matching data type.
     * </ul>
     *
     * @throws IllegalArgumentException if the column does not exist, has another type, holds nulls,
     *     or is a ragged list; the message names the column and the offending type or row
     */
    public static NDArray toNDArray(VectorSchemaRoot root, String column, NDManager manager) {
        Objects.requireNonNull(manager, "manager");
        FieldVector vector = column(root, column);
        int rows = root.getRowCount();
        if (vector instanceof FixedSizeListVector list) {
            FieldVector child = list.getDataVector();
            DataType type = floatType(column, child, vector);
            int dim = list.getListSize();
            checkNoNulls(column, vector, rows);
            checkNoNullElements(column, child, 0, rows * dim, dim);
            return copy(child.getDataBuffer(), 0, new Shape(rows, dim), type, manager);
        }
        if (vector instanceof ListVector list) {
            FieldVector child = list.getDataVector();
            DataType type = floatType(column, child, vector);
            checkNoNulls(column, vector, rows);
            if (rows == 0) {
                return manager.zeros(new Shape(0, 0), type);
            }
            int start = list.getElementStartIndex(0);
            int dim = list.getElementEndIndex(0) - start;
            for (int r = 1; r < rows; r++) {
                int length = list.getElementEndIndex(r) - list.getElementStartIndex(r);
                if (length != dim) {
                    throw new IllegalArgumentException(
                            "column '"
                                    + column
                                    + "' is ragged: row 0 has "
                                    + dim
                                    + " values but row "
                                    + r
                                    + " has "
                                    + length
                                    + "; a tensor needs equal lengths");
                }
            }
            checkNoNullElements(column, child, start, rows * dim, dim);
            return copy(child.getDataBuffer(), (long) start, new Shape(rows, dim), type, manager);
        }
        DataType type = scalarType(vector);
        if (type == null) {
            throw notATensor(column, vector);
        }
        checkNoNulls(column, vector, rows);
        return copy(vector.getDataBuffer(), 0, new Shape(rows), type, manager);
    }

    /**
     * Several int32, int64, float or double columns as one float32 array of shape [rows,
     * columns.size()], column {@code j} of the array holding {@code columns.get(j)}.
     *
     * @throws IllegalArgumentException as {@link #toNDArray(VectorSchemaRoot, String, NDManager)}
     */
    public static NDArray toNDArray(
            VectorSchemaRoot root, List<String> columns, NDManager manager) {
        Objects.requireNonNull(columns, "columns");
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("name at least one column to build a tensor from");
        }
        for (String column : columns) {
            FieldVector vector = column(root, column);
            if (scalarType(vector) == null) {
                throw notATensor(column, vector);
            }
        }
        try (NDManager scratch = manager.newSubManager()) {
            NDList parts = new NDList();
            for (String column : columns) {
                parts.add(toNDArray(root, column, scratch).toType(DataType.FLOAT32, false));
            }
            NDArray stacked = NDArrays.stack(parts, 1);
            stacked.attach(manager);
            return stacked;
        }
    }

    /**
     * An array as a new Arrow column allocated from {@code allocator}: shape [rows] of float32,
     * float64, int32 or int64 becomes the matching scalar column; shape [rows, dim] of float32 or
     * float64 becomes a fixed-size list of {@code dim}. The caller owns the returned vector.
     *
     * @throws IllegalArgumentException for other shapes or data types
     */
    public static FieldVector toVector(String name, NDArray array, BufferAllocator allocator) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(array, "array");
        Objects.requireNonNull(allocator, "allocator");
        Shape shape = array.getShape();
        DataType type = array.getDataType();
        if (shape.dimension() == 1) {
            int rows = Math.toIntExact(shape.get(0));
            BaseFixedWidthVector vector =
                    switch (type) {
                        case FLOAT32 -> new Float4Vector(name, allocator);
                        case FLOAT64 -> new Float8Vector(name, allocator);
                        case INT32 -> new IntVector(name, allocator);
                        case INT64 -> new BigIntVector(name, allocator);
                        default ->
                                throw new IllegalArgumentException(
                                        "cannot store NDArray '"
                                                + name
                                                + "' of type "
                                                + type
                                                + " in Arrow; use float32, float64, int32 or"
                                                + " int64");
                    };
            fill(vector, rows, array);
            return vector;
        }
        if (shape.dimension() == 2 && (type == DataType.FLOAT32 || type == DataType.FLOAT64)) {
            int rows = Math.toIntExact(shape.get(0));
            int dim = Math.toIntExact(shape.get(1));
            FixedSizeListVector list = FixedSizeListVector.empty(name, dim, allocator);
            try {
                list.addOrGetVector(
                        FieldType.nullable(
                                new ArrowType.FloatingPoint(
                                        type == DataType.FLOAT32
                                                ? FloatingPointPrecision.SINGLE
                                                : FloatingPointPrecision.DOUBLE)));
                list.setInitialCapacity(rows);
                list.allocateNew();
                fill((BaseFixedWidthVector) list.getDataVector(), rows * dim, array);
                setAllValid(list.getValidityBuffer(), rows);
                list.setValueCount(rows);
                return list;
            } catch (RuntimeException e) {
                list.close();
                throw e;
            }
        }
        throw new IllegalArgumentException(
                "cannot store NDArray '"
                        + name
                        + "' of shape "
                        + shape
                        + " and type "
                        + type
                        + " in Arrow; use shape [rows] or [rows, dim] (float32/float64)");
    }

    private static void fill(BaseFixedWidthVector vector, int count, NDArray array) {
        try {
            vector.allocateNew(count);
            ByteBuffer bytes = array.toByteBuffer();
            vector.getDataBuffer().setBytes(0, bytes);
            setAllValid(vector.getValidityBuffer(), count);
            vector.setValueCount(count);
        } catch (RuntimeException e) {
            vector.close();
            throw e;
        }
    }

    private static void setAllValid(ArrowBuf validity, int count) {
        int fullBytes = count / 8;
        validity.setOne(0L, (long) fullBytes);
        if (count % 8 != 0) {
            validity.setByte(fullBytes, (1 << (count % 8)) - 1);
        }
    }

    private static NDArray copy(
            ArrowBuf buffer, long firstElement, Shape shape, DataType type, NDManager manager) {
        long count = shape.size();
        if (count == 0) {
            return manager.zeros(shape, type);
        }
        int width = type.getNumOfBytes();
        ByteBuffer view = buffer.nioBuffer(firstElement * width, Math.toIntExact(count * width));
        try (NDManager scratch = manager.newSubManager()) {
            // create() wraps the direct buffer without copying; duplicate() makes the owned copy.
            NDArray copy = scratch.create(view, shape, type).duplicate();
            copy.attach(manager);
            return copy;
        }
    }

    private static FieldVector column(VectorSchemaRoot root, String column) {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(column, "column");
        FieldVector vector = root.getVector(column);
        if (vector == null) {
            throw new IllegalArgumentException(
                    "column '"
                            + column
                            + "' does not exist; columns are "
                            + root.getSchema().getFields().stream()
                                    .map(f -> f.getName())
                                    .collect(Collectors.joining(", ")));
        }
        return vector;
    }

    private static DataType scalarType(ValueVector vector) {
        if (vector instanceof Float4Vector) {
            return DataType.FLOAT32;
        }
        if (vector instanceof Float8Vector) {
            return DataType.FLOAT64;
        }
        if (vector instanceof IntVector) {
            return DataType.INT32;
        }
        if (vector instanceof BigIntVector) {
            return DataType.INT64;
        }
        return null;
    }

    private static DataType floatType(String column, FieldVector child, FieldVector list) {
        if (child instanceof Float4Vector) {
            return DataType.FLOAT32;
        }
        if (child instanceof Float8Vector) {
            return DataType.FLOAT64;
        }
        throw notATensor(column, list);
    }

    private static IllegalArgumentException notATensor(String column, FieldVector vector) {
        return new IllegalArgumentException(
                "column '"
                        + column
                        + "' of type "
                        + vector.getField().getFieldType().getType()
                        + (vector.getField().getChildren().isEmpty()
                                ? ""
                                : "<" + vector.getField().getChildren().get(0).getType() + ">")
                        + " cannot become a tensor; use a (fixed-size) list of float/double, or"
                        + " int32, int64, float or double columns");
    }

    private static void checkNoNulls(String column, ValueVector vector, int rows) {
        if (vector.getNullCount() == 0) {
            return;
        }
        for (int r = 0; r < rows; r++) {
            if (vector.isNull(r)) {
                throw new IllegalArgumentException(
                        "column '"
                                + column
                                + "' is null at row "
                                + r
                                + "; a tensor cannot hold nulls: fill or filter them first");
            }
        }
    }

    private static void checkNoNullElements(
            String column, ValueVector child, int start, int count, int dim) {
        if (child.getNullCount() == 0) {
            return;
        }
        for (int i = start; i < start + count; i++) {
            if (child.isNull(i)) {
                throw new IllegalArgumentException(
                        "column '"
                                + column
                                + "' has a null element in row "
                                + (i - start) / dim
                                + "; a tensor cannot hold nulls: fill or filter them first");
            }
        }
    }
}
