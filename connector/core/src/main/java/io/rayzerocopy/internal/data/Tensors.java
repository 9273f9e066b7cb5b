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
import org.apache.arrow.vector.BitVector;
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
import java.nio.ByteOrder;
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
     *   <li>a fixed-size list, or a list whose rows all have the same length, of float, double,
     *       int32 or int64: shape [rows, dim], the matching data type;
     *   <li>an int32, int64, float or double column: shape [rows], the matching data type.
     * </ul>
     *
     * @throws IllegalArgumentException if the column does not exist, has another type, holds nulls,
     *     or is a ragged list; the message names the column and the offending type, and the row in
     *     its file when the batch records where it came from (see {@link BatchMetadata})
     */
    public static NDArray toNDArray(VectorSchemaRoot root, String column, NDManager manager) {
        return array(root, column, manager, true);
    }

    /**
     * As {@link #toNDArray(VectorSchemaRoot, String, NDManager)}, but over the column's own memory
     * ({@code torch::from_blob} at the Arrow buffer's address): no copy. Valid only while {@code
     * root} is, so {@code manager} must be closed before it; writing to the array writes the
     * column.
     */
    public static NDArray view(VectorSchemaRoot root, String column, NDManager manager) {
        return array(root, column, manager, false);
    }

    private static NDArray array(
            VectorSchemaRoot root, String column, NDManager manager, boolean copy) {
        Objects.requireNonNull(manager, "manager");
        FieldVector vector = column(root, column);
        int rows = root.getRowCount();
        if (vector instanceof FixedSizeListVector list) {
            FieldVector child = list.getDataVector();
            DataType type = elementType(column, child, vector);
            int dim = list.getListSize();
            checkNoNulls(root, column, vector, rows);
            checkNoNullElements(root, column, child, 0, rows * dim, dim);
            return wrap(child.getDataBuffer(), 0, new Shape(rows, dim), type, manager, copy);
        }
        if (vector instanceof ListVector list) {
            FieldVector child = list.getDataVector();
            DataType type = elementType(column, child, vector);
            checkNoNulls(root, column, vector, rows);
            if (rows == 0) {
                return manager.zeros(new Shape(0, 0), type);
            }
            int start = list.getElementStartIndex(0);
            int dim = list.getElementEndIndex(0) - start;
            checkEqualLengths(root, column, list, dim);
            checkNoNullElements(root, column, child, start, rows * dim, dim);
            return wrap(child.getDataBuffer(), start, new Shape(rows, dim), type, manager, copy);
        }
        DataType type = scalarType(vector);
        if (type == null) {
            throw notATensor(column, vector);
        }
        checkNoNulls(root, column, vector, rows);
        return wrap(vector.getDataBuffer(), 0, new Shape(rows), type, manager, copy);
    }

    private static void checkEqualLengths(
            VectorSchemaRoot root, String column, ListVector list, int dim) {
        for (int r = 1; r < root.getRowCount(); r++) {
            int length = list.getElementEndIndex(r) - list.getElementStartIndex(r);
            if (length != dim) {
                throw new IllegalArgumentException(
                        "column '"
                                + column
                                + "' is ragged: "
                                + BatchMetadata.row(root, r)
                                + " has "
                                + length
                                + " values, the rows before it "
                                + dim
                                + "; a tensor needs equal lengths: pad or filter the rows");
            }
        }
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
                // Views suffice: stack() copies them into the result before the scratch manager closes.
                parts.add(array(root, column, scratch, false).toType(DataType.FLOAT32, false));
            }
            NDArray stacked = NDArrays.stack(parts, 1);
            stacked.attach(manager);
            return stacked;
        }
    }

    /**
     * An array as a new Arrow column allocated from {@code allocator}: shape [rows] becomes a
     * scalar column, shape [rows, dim] a fixed-size list of {@code dim}. float32, float64, int32,
     * int64 and bool keep their type; float16, bfloat16 (and other types DJL cannot name) become
     * float32 (exact), int8 and uint8 int32. The caller owns the returned vector.
     *
     * @throws IllegalArgumentException for other shapes
     */
    public static FieldVector toVector(String name, NDArray array, BufferAllocator allocator) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(array, "array");
        Objects.requireNonNull(allocator, "allocator");
        Shape shape = array.getShape();
        if (shape.dimension() != 1 && shape.dimension() != 2) {
            throw new IllegalArgumentException(
                    "cannot store NDArray '"
                            + name
                            + "' of shape "
                            + shape
                            + " in Arrow; use shape [rows] or [rows, dim] (reshape it first)");
        }
        NDArray values = columnReady(array);
        ArrowType type = arrowType(values.getDataType());
        int rows = Math.toIntExact(shape.get(0));
        if (shape.dimension() == 1) {
            FieldVector vector =
                    FieldType.nullable(type).createNewSingleVector(name, allocator, null);
            fill((BaseFixedWidthVector) vector, rows, values);
            return vector;
        }
        int dim = Math.toIntExact(shape.get(1));
        FixedSizeListVector list = FixedSizeListVector.empty(name, dim, allocator);
        try {
            list.addOrGetVector(FieldType.nullable(type));
            list.setInitialCapacity(rows);
            list.allocateNew();
            fill((BaseFixedWidthVector) list.getDataVector(), rows * dim, values);
            setAllValid(list.getValidityBuffer(), rows);
            list.setValueCount(rows);
            return list;
        } catch (RuntimeException e) {
            list.close();
            throw e;
        }
    }

    /** The array in a type a column holds (see {@link #toVector}); itself if it is one. */
    private static NDArray columnReady(NDArray array) {
        return switch (array.getDataType()) {
            case FLOAT32, FLOAT64, INT32, INT64, BOOLEAN -> array;
            case INT8, UINT8 -> array.toType(DataType.INT32, false);
                // toType(FLOAT32) passes FLOAT32 to native code, never the array's own type: safe
                // for
                // bfloat16, which DJL reports as UNKNOWN (see TorchTypes).
            default -> array.toType(DataType.FLOAT32, false);
        };
    }

    private static ArrowType arrowType(DataType type) {
        return switch (type) {
            case FLOAT32 -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
            case FLOAT64 -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
            case INT32 -> new ArrowType.Int(32, true);
            case INT64 -> new ArrowType.Int(64, true);
            case BOOLEAN -> ArrowType.Bool.INSTANCE;
            default -> throw new IllegalStateException("no column type for " + type);
        };
    }

    private static void fill(BaseFixedWidthVector vector, int count, NDArray array) {
        try {
            vector.allocateNew(count);
            // A view of the tensor's memory (no copy: the only copy is into the vector).
            ByteBuffer bytes = array.toByteBuffer(true);
            if (vector instanceof BitVector bits) {
                // torch stores a bool per byte, Arrow a bit per value.
                for (int i = 0; i < count; i++) {
                    bits.set(i, bytes.get(i) != 0 ? 1 : 0);
                }
            } else {
                vector.getDataBuffer().setBytes(0, bytes);
                setAllValid(vector.getValidityBuffer(), count);
            }
            vector.setValueCount(count);
        } catch (RuntimeException e) {
            vector.close();
            throw e;
        }
    }

    /**
     * The non-finite values (NaN, +Inf, -Inf) of a float or double column, or of a list of them,
     * and the first row holding one ({@code -1} if none); none for integer columns. Read the column
     * through {@link #toNDArray} first: it refuses the nulls this does not look at.
     */
    public static NonFinite nonFinite(VectorSchemaRoot root, String column) {
        FieldVector vector = column(root, column);
        int rows = root.getRowCount();
        FieldVector values = vector;
        int first = 0;
        int count = rows;
        int perRow = 1;
        if (vector instanceof FixedSizeListVector list) {
            values = list.getDataVector();
            perRow = list.getListSize();
            count = rows * perRow;
        } else if (vector instanceof ListVector list) {
            values = list.getDataVector();
            if (rows > 0) {
                first = list.getElementStartIndex(0);
                count = list.getElementEndIndex(rows - 1) - first;
                perRow = count / rows;
            }
        }
        int width = values instanceof Float4Vector ? 4 : values instanceof Float8Vector ? 8 : 0;
        if (width == 0 || count == 0) {
            return new NonFinite(0, -1);
        }
        ByteBuffer bytes =
                values.getDataBuffer()
                        .nioBuffer((long) first * width, count * width)
                        .order(ByteOrder.LITTLE_ENDIAN);
        long found = 0;
        int firstIndex = -1;
        for (int i = 0; i < count; i++) {
            boolean finite =
                    width == 4
                            ? Float.isFinite(bytes.getFloat(i * 4))
                            : Double.isFinite(bytes.getDouble(i * 8));
            if (!finite) {
                found++;
                if (firstIndex < 0) {
                    firstIndex = i;
                }
            }
        }
        return new NonFinite(found, firstIndex < 0 ? -1 : firstIndex / perRow);
    }

    /**
     * What {@link #nonFinite} found: how many values are NaN or infinite, and the first row (of the
     * batch) holding one, or -1.
     */
    public record NonFinite(long values, int firstRow) {}

    private static void setAllValid(ArrowBuf validity, int count) {
        int fullBytes = count / 8;
        validity.setOne(0L, (long) fullBytes);
        if (count % 8 != 0) {
            validity.setByte(fullBytes, (1 << (count % 8)) - 1);
        }
    }

    private static NDArray wrap(
            ArrowBuf buffer,
            long firstElement,
            Shape shape,
            DataType type,
            NDManager manager,
            boolean copy) {
        long count = shape.size();
        if (count == 0) {
            return manager.zeros(shape, type);
        }
        int width = type.getNumOfBytes();
        // A direct buffer in native order: create() wraps it without copying (from_blob).
        ByteBuffer view =
                buffer.nioBuffer(firstElement * width, Math.toIntExact(count * width))
                        .order(ByteOrder.nativeOrder());
        if (!copy) {
            return manager.create(view, shape, type);
        }
        try (NDManager scratch = manager.newSubManager()) {
            NDArray owned = scratch.create(view, shape, type).duplicate();
            owned.attach(manager);
            return owned;
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

    private static DataType elementType(String column, FieldVector child, FieldVector list) {
        DataType type = scalarType(child);
        if (type == null) {
            throw notATensor(column, list);
        }
        return type;
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
                        + " cannot become a tensor; use a (fixed-size) list of float, double,"
                        + " int32 or int64, or int32, int64, float or double columns");
    }

    private static void checkNoNulls(
            VectorSchemaRoot root, String column, ValueVector vector, int rows) {
        if (allValid(vector, 0, rows)) {
            return;
        }
        for (int r = 0; r < rows; r++) {
            if (vector.isNull(r)) {
                throw new IllegalArgumentException(
                        "column '"
                                + column
                                + "' is null at "
                                + BatchMetadata.row(root, r)
                                + "; a tensor cannot hold nulls: fill or filter them first");
            }
        }
    }

    private static void checkNoNullElements(
            VectorSchemaRoot root,
            String column,
            ValueVector child,
            int start,
            int count,
            int dim) {
        if (allValid(child, start, count)) {
            return;
        }
        for (int i = start; i < start + count; i++) {
            if (child.isNull(i)) {
                throw new IllegalArgumentException(
                        "column '"
                                + column
                                + "' has a null element in "
                                + BatchMetadata.row(root, (i - start) / dim)
                                + "; a tensor cannot hold nulls: fill or filter them first");
            }
        }
    }

    /**
     * Whether values {@code [from, from + count)} of {@code vector} are all non-null: its validity
     * bits read 64 at a time, where Arrow's {@code getNullCount} reads them byte by byte over the
     * whole vector (the largest Java cost of a small model's batch).
     */
    static boolean allValid(ValueVector vector, long from, long count) {
        ArrowBuf validity = vector.getValidityBuffer();
        long end = from + count;
        if (validity.capacity() * 8 < end) {
            return vector.getNullCount() == 0;
        }
        long i = from;
        for (; i < end && (i & 63) != 0; i++) {
            if (!valid(validity, i)) {
                return false;
            }
        }
        for (; i + 64 <= end; i += 64) {
            if (validity.getLong(i >>> 3) != -1L) {
                return false;
            }
        }
        for (; i < end; i++) {
            if (!valid(validity, i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean valid(ArrowBuf validity, long bit) {
        return (validity.getByte(bit >>> 3) & (1 << (bit & 7))) != 0;
    }
}
