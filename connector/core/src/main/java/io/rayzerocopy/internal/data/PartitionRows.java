package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.ArrowBufPointer;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.ElementAddressableVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.util.TransferPair;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Cuts a batch by the values of its partition columns: each group of rows with the same values
 * goes to its Hive directory ({@code date=2026-12-01/region=eu}) as a batch of the other columns,
 * rows in their order. A batch of one partition (the usual case for input partitioned alike) is
 * passed on without a copy.
 */
final class PartitionRows {
    private PartitionRows() {}

    /**
     * Refuses partition columns that the output lacks, that have no directory spelling (lists,
     * binary), or that would leave no column in the files.
     *
     * @throws IllegalArgumentException naming the column, the output's columns and the setting
     */
    static void check(List<String> columns, List<Field> fields) {
        List<String> names = fields.stream().map(Field::getName).toList();
        for (String column : columns) {
            int index = names.indexOf(column);
            if (index < 0) {
                throw new IllegalArgumentException(
                        SettingNames.PARTITION_BY
                                + ": '"
                                + column
                                + "' is not a column of the output; its columns are "
                                + names
                                + " (keep the input column, or name an output column)");
            }
            Field field = fields.get(index);
            if (!field.getChildren().isEmpty() || !isPartitionable(field)) {
                throw new IllegalArgumentException(
                        SettingNames.PARTITION_BY
                                + ": column '"
                                + column
                                + "' is "
                                + field.getType()
                                + ", which cannot name a directory; partition by columns of"
                                + " numbers, booleans, strings or dates");
            }
        }
        if (columns.size() >= names.size()) {
            throw new IllegalArgumentException(
                    SettingNames.PARTITION_BY
                            + ": "
                            + columns
                            + " are all the output's columns, so the files would hold none;"
                            + " keep another column");
        }
    }

    /**
     * Hands {@code write} each partition's directory and rows of {@code root} (without the
     * partition columns); the batches are valid during the call. Rows are compared with the row
     * before them in place (no value is decoded): only the first row of each run of equal
     * partition values is spelled as a directory.
     */
    static void split(
            VectorSchemaRoot root,
            List<String> columns,
            BiConsumer<String, VectorSchemaRoot> write) {
        int rows = root.getRowCount();
        List<FieldVector> keys = columns.stream().map(root::getVector).toList();
        Map<String, List<int[]>> groups = new LinkedHashMap<>();
        ArrowBufPointer left = new ArrowBufPointer();
        ArrowBufPointer right = new ArrowBufPointer();
        int[] run = null;
        for (int r = 0; r < rows; r++) {
            if (run != null && sameAsBefore(keys, r, left, right)) {
                run[1]++;
                continue;
            }
            run = new int[] {r, 1};
            groups.computeIfAbsent(directory(keys, r), d -> new ArrayList<>()).add(run);
        }
        List<FieldVector> data = new ArrayList<>();
        for (FieldVector vector : root.getFieldVectors()) {
            if (!columns.contains(vector.getName())) {
                data.add(vector);
            }
        }
        if (groups.size() == 1) {
            VectorSchemaRoot view = new VectorSchemaRoot(data);
            view.setRowCount(rows);
            write.accept(groups.keySet().iterator().next(), view);
            return;
        }
        for (Map.Entry<String, List<int[]>> group : groups.entrySet()) {
            try (VectorSchemaRoot part = copy(data, group.getValue())) {
                write.accept(group.getKey(), part);
            }
        }
    }

    /** The directory of row {@code r}'s partition: {@code date=2026-12-01/region=eu}. */
    private static String directory(List<FieldVector> keys, int r) {
        StringBuilder dir = new StringBuilder();
        for (FieldVector key : keys) {
            dir.append(dir.length() == 0 ? "" : "/")
                    .append(HivePaths.directory(key.getName(), text(key, r)));
        }
        return dir.toString();
    }

    /** Whether row {@code r} has the partition values of row {@code r - 1}. */
    private static boolean sameAsBefore(
            List<FieldVector> keys, int r, ArrowBufPointer left, ArrowBufPointer right) {
        for (FieldVector key : keys) {
            boolean nullNow = key.isNull(r);
            if (nullNow || key.isNull(r - 1)) {
                if (nullNow != key.isNull(r - 1)) {
                    return false;
                }
            } else if (key instanceof BitVector bits) {
                if (bits.get(r) != bits.get(r - 1)) {
                    return false;
                }
            } else {
                ElementAddressableVector values = (ElementAddressableVector) key;
                values.getDataPointer(r, left);
                values.getDataPointer(r - 1, right);
                if (!left.equals(right)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static VectorSchemaRoot copy(List<FieldVector> data, List<int[]> runs) {
        int count = runs.stream().mapToInt(run -> run[1]).sum();
        List<FieldVector> copies = new ArrayList<>();
        for (FieldVector source : data) {
            BufferAllocator allocator = source.getAllocator();
            FieldVector target = source.getField().createVector(allocator);
            target.setInitialCapacity(count);
            target.allocateNew();
            TransferPair pair = source.makeTransferPair(target);
            int to = 0;
            for (int[] run : runs) {
                for (int from = run[0]; from < run[0] + run[1]; from++) {
                    pair.copyValueSafe(from, to++);
                }
            }
            target.setValueCount(count);
            copies.add(target);
        }
        VectorSchemaRoot part = new VectorSchemaRoot(copies);
        part.setRowCount(count);
        return part;
    }

    /** A value as its directory spells it (Spark's cast to string), or null. */
    private static String text(FieldVector vector, int row) {
        if (vector.isNull(row)) {
            return null;
        }
        if (vector instanceof VarCharVector v) {
            return new String(v.get(row), StandardCharsets.UTF_8);
        }
        if (vector instanceof DateDayVector v) {
            return LocalDate.ofEpochDay(v.get(row)).toString();
        }
        if (vector instanceof BitVector v) {
            return Boolean.toString(v.get(row) != 0);
        }
        if (vector instanceof Float4Vector v) {
            return Float.toString(v.get(row));
        }
        if (vector instanceof Float8Vector v) {
            return Double.toString(v.get(row));
        }
        return Long.toString(((BaseIntVector) vector).getValueAsLong(row));
    }

    private static boolean isPartitionable(Field field) {
        return switch (field.getType().getTypeID()) {
            case Int, Bool, Utf8 -> true;
            case FloatingPoint ->
                    ((ArrowType.FloatingPoint) field.getType()).getPrecision()
                            != FloatingPointPrecision.HALF;
            case Date -> ((ArrowType.Date) field.getType()).getUnit() == DateUnit.DAY;
            default -> false;
        };
    }
}
