package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.pojo.Schema;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * In-memory rows ({@code Map}s from column name to value) as a {@link BatchSource}.
 *
 * <p>Column types are inferred from the values: {@code Integer} int32, {@code Long} int64, {@code
 * Float} float, {@code Double} double, {@code Boolean} boolean, {@code String} string, {@code
 * byte[]} binary; {@code float[]} / {@code double[]} become fixed-size lists when all rows have the
 * same length (feature vectors) and lists otherwise; a {@code List} of one of the scalar types
 * becomes a list. Every column is nullable; a missing key is a null.
 */
public final class ItemsSource implements BatchSource {
    private static final String SOURCE = "items";

    private final List<Map<String, ?>> items;
    private final List<ColumnLayout> layouts;

    private ItemsSource(List<Map<String, ?>> items, List<ColumnLayout> layouts) {
        this.items = items;
        this.layouts = layouts;
    }

    /**
     * The given rows; they are copied (shallowly), so later changes to the list do not show.
     *
     * @throws IllegalArgumentException if a column's values have different types, or a column is
     *     null in every row
     */
    public static ItemsSource of(List<? extends Map<String, ?>> items) {
        Objects.requireNonNull(items, "items");
        List<Map<String, ?>> copy = new ArrayList<>(items.size());
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < items.size(); i++) {
            Map<String, ?> item = items.get(i);
            if (item == null) {
                throw new IllegalArgumentException(
                        "item " + i + " is null; give a Map for every row");
            }
            copy.add(new LinkedHashMap<>(item));
            names.addAll(item.keySet());
        }
        List<ColumnLayout> layouts = new ArrayList<>();
        for (String name : names) {
            layouts.add(infer(name, copy));
        }
        return new ItemsSource(List.copyOf(copy), List.copyOf(layouts));
    }

    @Override
    public Schema schema() {
        return new Schema(layouts.stream().map(ColumnLayout::arrowField).toList());
    }

    @Override
    public OptionalLong rowCount() {
        return OptionalLong.of(items.size());
    }

    @Override
    public OptionalLong batchCount(int batchSize) {
        return OptionalLong.of(Math.max(1, (items.size() + batchSize - 1) / batchSize));
    }

    @Override
    public ItemsSource select(List<String> columns) {
        Objects.requireNonNull(columns, "columns");
        List<ColumnLayout> selected = new ArrayList<>();
        for (String column : columns) {
            selected.add(
                    layouts.stream()
                            .filter(l -> l.name().equals(column))
                            .findFirst()
                            .orElseThrow(
                                    () ->
                                            new IllegalArgumentException(
                                                    "column '"
                                                            + column
                                                            + "' does not exist in the items;"
                                                            + " columns are "
                                                            + layouts.stream()
                                                                    .map(ColumnLayout::name)
                                                                    .toList())));
        }
        return new ItemsSource(items, List.copyOf(selected));
    }

    @Override
    public BatchReader open(BufferAllocator allocator, int batchSize) {
        Objects.requireNonNull(allocator, "allocator");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        Schema schema = schema();
        return new BatchReader() {
            private int next;

            @Override
            public SourceBatch next() {
                if (next == items.size()) {
                    return null;
                }
                int from = next;
                int rows = Math.min(batchSize, items.size() - from);
                VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
                try {
                    for (int c = 0; c < layouts.size(); c++) {
                        fill(layouts.get(c), root.getVector(c), from, rows);
                    }
                    root.setRowCount(rows);
                } catch (RuntimeException e) {
                    root.close();
                    throw e;
                }
                next += rows;
                return new SourceBatch(root, new RowRange(SOURCE, from, rows));
            }

            @Override
            public void close() {}
        };
    }

    private void fill(ColumnLayout layout, FieldVector vector, int from, int rows) {
        vector.setInitialCapacity(rows);
        vector.allocateNew();
        int child = 0;
        for (int r = 0; r < rows; r++) {
            Object value = items.get(from + r).get(layout.name());
            if (value == null) {
                vector.setNull(r);
                if (layout.shape() == ColumnLayout.Shape.FIXED_SIZE_LIST) {
                    FieldVector data = ((FixedSizeListVector) vector).getDataVector();
                    for (int j = 0; j < layout.listSize(); j++) {
                        data.setNull(child++);
                    }
                }
                continue;
            }
            switch (layout.shape()) {
                case FLAT -> setScalar(layout.leaf(), vector, r, value);
                case FIXED_SIZE_LIST -> {
                    FixedSizeListVector list = (FixedSizeListVector) vector;
                    list.setNotNull(r);
                    child = setElements(layout.leaf(), list.getDataVector(), child, value);
                }
                case LIST -> {
                    ListVector list = (ListVector) vector;
                    list.startNewValue(r);
                    int start = child;
                    child = setElements(layout.leaf(), list.getDataVector(), child, value);
                    list.endValue(r, child - start);
                }
            }
        }
        if (layout.shape() == ColumnLayout.Shape.FIXED_SIZE_LIST) {
            ((FixedSizeListVector) vector).getDataVector().setValueCount(child);
        } else if (layout.shape() == ColumnLayout.Shape.LIST) {
            ((ListVector) vector).getDataVector().setValueCount(child);
        }
        vector.setValueCount(rows);
    }

    private static int setElements(
            ColumnLayout.Leaf leaf, FieldVector data, int index, Object value) {
        if (value instanceof float[] floats) {
            for (float f : floats) {
                ((Float4Vector) data).setSafe(index++, f);
            }
        } else if (value instanceof double[] doubles) {
            for (double d : doubles) {
                ((Float8Vector) data).setSafe(index++, d);
            }
        } else {
            for (Object element : (List<?>) value) {
                if (element == null) {
                    data.setNull(index++);
                } else {
                    setScalar(leaf, data, index++, element);
                }
            }
        }
        return index;
    }

    private static void setScalar(
            ColumnLayout.Leaf leaf, FieldVector vector, int index, Object value) {
        switch (leaf) {
            case INT32 -> ((IntVector) vector).setSafe(index, (Integer) value);
            case INT64 -> ((BigIntVector) vector).setSafe(index, (Long) value);
            case FLOAT -> ((Float4Vector) vector).setSafe(index, (Float) value);
            case DOUBLE -> ((Float8Vector) vector).setSafe(index, (Double) value);
            case BOOLEAN -> ((BitVector) vector).setSafe(index, (Boolean) value ? 1 : 0);
            case STRING ->
                    ((BaseVariableWidthVector) vector)
                            .setSafe(index, ((String) value).getBytes(StandardCharsets.UTF_8));
            case BINARY -> ((BaseVariableWidthVector) vector).setSafe(index, (byte[]) value);
        }
    }

    private static ColumnLayout infer(String name, List<Map<String, ?>> items) {
        ColumnLayout layout = null;
        Class<?> firstClass = null;
        int firstRow = -1;
        int length = -1;
        boolean sameLength = true;
        for (int i = 0; i < items.size(); i++) {
            Object value = items.get(i).get(name);
            if (value == null) {
                continue;
            }
            if (layout == null) {
                layout = layoutOf(name, value, i);
                firstClass = value.getClass();
                firstRow = i;
            } else if (!firstClass.isInstance(value)) {
                throw new IllegalArgumentException(
                        "column '"
                                + name
                                + "' holds a "
                                + firstClass.getSimpleName()
                                + " in item "
                                + firstRow
                                + " but a "
                                + value.getClass().getSimpleName()
                                + " in item "
                                + i
                                + "; use one type per column");
            } else if (value instanceof List<?> list) {
                ColumnLayout other = layoutOf(name, list, i);
                if (layout.leaf() == null) {
                    layout = other;
                } else if (other.leaf() != null && other.leaf() != layout.leaf()) {
                    throw new IllegalArgumentException(
                            "column '"
                                    + name
                                    + "' holds lists of "
                                    + layout.leaf()
                                    + " in item "
                                    + firstRow
                                    + " but of "
                                    + other.leaf()
                                    + " in item "
                                    + i
                                    + "; use one element type per column");
                }
            }
            int n =
                    value instanceof float[] f
                            ? f.length
                            : value instanceof double[] d ? d.length : -1;
            if (n >= 0) {
                sameLength &= length < 0 || n == length;
                length = n;
            }
        }
        if (layout == null) {
            throw new IllegalArgumentException(
                    "column '"
                            + name
                            + "' is null in every item, so its type cannot be inferred; drop it or"
                            + " give a value");
        }
        if (layout.shape() == ColumnLayout.Shape.LIST && length >= 0 && sameLength) {
            return new ColumnLayout(
                    name, layout.leaf(), ColumnLayout.Shape.FIXED_SIZE_LIST, true, true, length);
        }
        if (layout.shape() == ColumnLayout.Shape.LIST && layout.leaf() == null) {
            throw new IllegalArgumentException(
                    "column '"
                            + name
                            + "' holds only empty or all-null lists, so its element type cannot be"
                            + " inferred");
        }
        return layout;
    }

    private static ColumnLayout layoutOf(String name, Object value, int item) {
        if (value instanceof float[]) {
            return new ColumnLayout(
                    name, ColumnLayout.Leaf.FLOAT, ColumnLayout.Shape.LIST, true, true, 0);
        }
        if (value instanceof double[]) {
            return new ColumnLayout(
                    name, ColumnLayout.Leaf.DOUBLE, ColumnLayout.Shape.LIST, true, true, 0);
        }
        if (value instanceof List<?> list) {
            ColumnLayout.Leaf listLeaf = null;
            for (Object element : list) {
                if (element == null) {
                    continue;
                }
                ColumnLayout.Leaf leaf = leafOf(element);
                if (leaf == null
                        || leaf == ColumnLayout.Leaf.BINARY
                        || (listLeaf != null && leaf != listLeaf)) {
                    throw new IllegalArgumentException(
                            "column '"
                                    + name
                                    + "' in item "
                                    + item
                                    + " is a list holding a "
                                    + element.getClass().getSimpleName()
                                    + "; a list holds one of Integer, Long, Float, Double, Boolean"
                                    + " or String");
                }
                listLeaf = leaf;
            }
            return new ColumnLayout(name, listLeaf, ColumnLayout.Shape.LIST, true, true, 0);
        }
        ColumnLayout.Leaf leaf = leafOf(value);
        if (leaf == null) {
            throw new IllegalArgumentException(
                    "column '"
                            + name
                            + "' in item "
                            + item
                            + " is a "
                            + value.getClass().getName()
                            + "; supported: Integer, Long, Float, Double, Boolean,"
                            + " String, byte[], float[], double[] and Lists of scalars");
        }
        return new ColumnLayout(name, leaf, ColumnLayout.Shape.FLAT, true, false, 0);
    }

    private static ColumnLayout.Leaf leafOf(Object value) {
        if (value instanceof Integer) {
            return ColumnLayout.Leaf.INT32;
        }
        if (value instanceof Long) {
            return ColumnLayout.Leaf.INT64;
        }
        if (value instanceof Float) {
            return ColumnLayout.Leaf.FLOAT;
        }
        if (value instanceof Double) {
            return ColumnLayout.Leaf.DOUBLE;
        }
        if (value instanceof Boolean) {
            return ColumnLayout.Leaf.BOOLEAN;
        }
        if (value instanceof String) {
            return ColumnLayout.Leaf.STRING;
        }
        if (value instanceof byte[]) {
            return ColumnLayout.Leaf.BINARY;
        }
        return null;
    }

    @Override
    public String toString() {
        return "ItemsSource["
                + items.size()
                + " rows, columns "
                + layouts.stream().map(ColumnLayout::name).toList()
                + "]";
    }
}
