package io.rayzerocopy.internal.data;

import io.rayzerocopy.DatasetException;

import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Type.Repetition;
import org.apache.parquet.schema.Types;

import java.util.List;
import java.util.Map;

/**
 * One top-level column as both formats see it: a primitive, a list of primitives, or a fixed-size
 * list of primitives. The single place that maps Arrow types to Parquet types and back.
 */
record ColumnLayout(
        String name,
        Leaf leaf,
        Shape shape,
        boolean nullable,
        boolean elementNullable,
        int listSize) {

    /** Key-value metadata entry (suffixed with the column name) that marks a fixed-size list. */
    static final String FIXED_SIZE_KEY_PREFIX = "rayzerocopy.fixed_size_list.";

    static final String SUPPORTED =
            "int32, int64, float, double, boolean, string, binary, date, and lists / fixed-size"
                    + " lists of those";

    /** The primitive values stored in a column. */
    enum Leaf {
        INT32,
        INT64,
        FLOAT,
        DOUBLE,
        BOOLEAN,
        STRING,
        BINARY,
        /** Days since 1970-01-01: Parquet's INT32 DATE, Arrow's Date(DAY). */
        DATE
    }

    /** How values are grouped into rows. */
    enum Shape {
        FLAT,
        LIST,
        FIXED_SIZE_LIST
    }

    Field arrowField() {
        FieldType leafType =
                new FieldType(
                        shape == Shape.FLAT ? nullable : elementNullable, arrowType(leaf), null);
        if (shape == Shape.FLAT) {
            return new Field(name, leafType, null);
        }
        ArrowType listType =
                shape == Shape.LIST
                        ? ArrowType.List.INSTANCE
                        : new ArrowType.FixedSizeList(listSize);
        return new Field(
                name,
                new FieldType(nullable, listType, null),
                List.of(new Field("element", leafType, null)));
    }

    Type parquetType() {
        Repetition repetition = nullable ? Repetition.OPTIONAL : Repetition.REQUIRED;
        if (shape == Shape.FLAT) {
            return primitive(repetition, name);
        }
        Repetition elementRepetition = elementNullable ? Repetition.OPTIONAL : Repetition.REQUIRED;
        return Types.list(repetition).element(primitive(elementRepetition, "element")).named(name);
    }

    private PrimitiveType primitive(Repetition repetition, String fieldName) {
        return switch (leaf) {
            case INT32 -> Types.primitive(PrimitiveTypeName.INT32, repetition).named(fieldName);
            case INT64 -> Types.primitive(PrimitiveTypeName.INT64, repetition).named(fieldName);
            case FLOAT -> Types.primitive(PrimitiveTypeName.FLOAT, repetition).named(fieldName);
            case DOUBLE -> Types.primitive(PrimitiveTypeName.DOUBLE, repetition).named(fieldName);
            case BOOLEAN -> Types.primitive(PrimitiveTypeName.BOOLEAN, repetition).named(fieldName);
            case STRING ->
                    Types.primitive(PrimitiveTypeName.BINARY, repetition)
                            .as(LogicalTypeAnnotation.stringType())
                            .named(fieldName);
            case BINARY -> Types.primitive(PrimitiveTypeName.BINARY, repetition).named(fieldName);
            case DATE ->
                    Types.primitive(PrimitiveTypeName.INT32, repetition)
                            .as(LogicalTypeAnnotation.dateType())
                            .named(fieldName);
        };
    }

    /**
     * The layout of an Arrow field.
     *
     * @throws IllegalArgumentException if the field's type has no Parquet mapping here
     */
    static ColumnLayout fromArrow(Field field) {
        ArrowType type = field.getType();
        if (type instanceof ArrowType.List || type instanceof ArrowType.FixedSizeList) {
            Field child = field.getChildren().get(0);
            Leaf leaf = leafOf(child.getType());
            if (leaf == null) {
                throw unsupportedArrow(field);
            }
            return type instanceof ArrowType.FixedSizeList fixed
                    ? new ColumnLayout(
                            field.getName(),
                            leaf,
                            Shape.FIXED_SIZE_LIST,
                            field.isNullable(),
                            child.isNullable(),
                            fixed.getListSize())
                    : new ColumnLayout(
                            field.getName(),
                            leaf,
                            Shape.LIST,
                            field.isNullable(),
                            child.isNullable(),
                            0);
        }
        Leaf leaf = leafOf(type);
        if (leaf == null) {
            throw unsupportedArrow(field);
        }
        return new ColumnLayout(field.getName(), leaf, Shape.FLAT, field.isNullable(), false, 0);
    }

    /**
     * A column's type as a reader would say it: {@code double}, {@code list<float>}, {@code
     * list<float>[64]} (fixed size), with {@code not null} when nulls are excluded.
     */
    static String describe(Field field) {
        ColumnLayout layout = fromArrow(field);
        String leaf = layout.leaf().name().toLowerCase(java.util.Locale.ROOT);
        String type =
                switch (layout.shape()) {
                    case FLAT -> leaf;
                    case LIST -> "list<" + leaf + ">";
                    case FIXED_SIZE_LIST -> "list<" + leaf + ">[" + layout.listSize() + "]";
                };
        return layout.nullable() ? type : type + " not null";
    }

    private static IllegalArgumentException unsupportedArrow(Field field) {
        return new IllegalArgumentException(
                "column '"
                        + field.getName()
                        + "' has Arrow type "
                        + field.getType()
                        + ", which cannot be written to Parquet here; supported: "
                        + SUPPORTED);
    }

    /**
     * The layout of a top-level Parquet field; {@code metadata} is the file's key-value metadata,
     * which marks fixed-size lists written by {@link ParquetSink}.
     *
     * @throws DatasetException if the type is not supported; the message names file and column
     */
    static ColumnLayout fromParquet(Type type, Map<String, String> metadata, String file) {
        String name = type.getName();
        boolean nullable = type.isRepetition(Repetition.OPTIONAL);
        if (type.isRepetition(Repetition.REPEATED)) {
            throw unsupportedParquet(type, file);
        }
        if (type.isPrimitive()) {
            return new ColumnLayout(
                    name,
                    leafOf(type.asPrimitiveType(), file, type),
                    Shape.FLAT,
                    nullable,
                    false,
                    0);
        }
        GroupType group = type.asGroupType();
        if (!(group.getLogicalTypeAnnotation()
                        instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation)
                || group.getFieldCount() != 1
                || !group.getType(0).isRepetition(Repetition.REPEATED)
                || group.getType(0).isPrimitive()
                || group.getType(0).asGroupType().getFieldCount() != 1
                || !group.getType(0).asGroupType().getType(0).isPrimitive()) {
            throw unsupportedParquet(type, file);
        }
        PrimitiveType element = group.getType(0).asGroupType().getType(0).asPrimitiveType();
        Leaf leaf = leafOf(element, file, type);
        boolean elementNullable = element.isRepetition(Repetition.OPTIONAL);
        String fixed = metadata.get(FIXED_SIZE_KEY_PREFIX + name);
        if (fixed == null) {
            return new ColumnLayout(name, leaf, Shape.LIST, nullable, elementNullable, 0);
        }
        int size;
        try {
            size = Integer.parseInt(fixed);
        } catch (NumberFormatException e) {
            throw new DatasetException(
                    "file "
                            + file
                            + " marks column '"
                            + name
                            + "' as a fixed-size list of '"
                            + fixed
                            + "' elements, which is not a number",
                    e);
        }
        return new ColumnLayout(name, leaf, Shape.FIXED_SIZE_LIST, nullable, elementNullable, size);
    }

    private static Leaf leafOf(PrimitiveType type, String file, Type column) {
        LogicalTypeAnnotation annotation = type.getLogicalTypeAnnotation();
        Leaf leaf =
                switch (type.getPrimitiveTypeName()) {
                    case INT32 ->
                            annotation == null || isSignedInt(annotation, 32)
                                    ? Leaf.INT32
                                    : annotation
                                                    instanceof
                                                    LogicalTypeAnnotation.DateLogicalTypeAnnotation
                                            ? Leaf.DATE
                                            : null;
                    case INT64 ->
                            annotation == null || isSignedInt(annotation, 64) ? Leaf.INT64 : null;
                    case FLOAT -> annotation == null ? Leaf.FLOAT : null;
                    case DOUBLE -> annotation == null ? Leaf.DOUBLE : null;
                    case BOOLEAN -> annotation == null ? Leaf.BOOLEAN : null;
                    case BINARY ->
                            annotation == null
                                    ? Leaf.BINARY
                                    : annotation
                                                    instanceof
                                                    LogicalTypeAnnotation
                                                            .StringLogicalTypeAnnotation
                                            ? Leaf.STRING
                                            : null;
                    default -> null;
                };
        if (leaf == null) {
            throw unsupportedParquet(column, file);
        }
        return leaf;
    }

    private static boolean isSignedInt(LogicalTypeAnnotation annotation, int bits) {
        return annotation instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation i
                && i.isSigned()
                && i.getBitWidth() == bits;
    }

    private static DatasetException unsupportedParquet(Type type, String file) {
        return new DatasetException(
                "column '"
                        + type.getName()
                        + "' of "
                        + file
                        + " has Parquet type '"
                        + type.toString().trim()
                        + "', which is not supported; supported: "
                        + SUPPORTED
                        + " (3-level LIST). Select the columns you need to skip it.");
    }

    private static ArrowType arrowType(Leaf leaf) {
        return switch (leaf) {
            case INT32 -> new ArrowType.Int(32, true);
            case INT64 -> new ArrowType.Int(64, true);
            case FLOAT -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
            case DOUBLE -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
            case BOOLEAN -> ArrowType.Bool.INSTANCE;
            case STRING -> ArrowType.Utf8.INSTANCE;
            case BINARY -> ArrowType.Binary.INSTANCE;
            case DATE -> new ArrowType.Date(DateUnit.DAY);
        };
    }

    private static Leaf leafOf(ArrowType type) {
        if (type instanceof ArrowType.Int i && i.getIsSigned()) {
            return i.getBitWidth() == 32 ? Leaf.INT32 : i.getBitWidth() == 64 ? Leaf.INT64 : null;
        }
        if (type instanceof ArrowType.FloatingPoint f) {
            return f.getPrecision() == FloatingPointPrecision.SINGLE
                    ? Leaf.FLOAT
                    : f.getPrecision() == FloatingPointPrecision.DOUBLE ? Leaf.DOUBLE : null;
        }
        if (type instanceof ArrowType.Bool) {
            return Leaf.BOOLEAN;
        }
        if (type instanceof ArrowType.Utf8) {
            return Leaf.STRING;
        }
        if (type instanceof ArrowType.Binary) {
            return Leaf.BINARY;
        }
        if (type instanceof ArrowType.Date d && d.getUnit() == DateUnit.DAY) {
            return Leaf.DATE;
        }
        return null;
    }
}
