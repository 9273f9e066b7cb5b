package io.rayzerocopy.internal.data;

import io.rayzerocopy.ParquetReadOptions.PartitionType;
import io.rayzerocopy.internal.storage.Storage;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

import java.io.Serializable;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The partition columns of a Hive-partitioned input ({@code in/date=2026-12-01/region=eu/x.parquet}):
 * their names, in directory order, and types. A file's values are read from the last directories
 * of its own path, so a file name alone (a split shipped to a cluster task) carries them.
 * Serializable.
 */
public final class Partitions implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");

    /** No partition columns: an input that is not partitioned. */
    public static final Partitions NONE = new Partitions(List.of());

    /** One partition column. */
    public record Column(String name, PartitionType type) implements Serializable {}

    /** An input file and the directory it was listed under (the input path or a glob's base). */
    public record Located(String file, String root) {}

    private final List<Column> columns;

    private Partitions(List<Column> columns) {
        this.columns = List.copyOf(columns);
    }

    public List<Column> columns() {
        return columns;
    }

    public boolean isEmpty() {
        return columns.isEmpty();
    }

    /** The column named {@code name}, or null. */
    public Column column(String name) {
        return columns.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }

    /**
     * The partition columns of {@code files}: each {@code name=value} directory between a file
     * and its root is one; types are inferred from all values as Spark infers them (int, then
     * long, then double, then date, else string; columns whose values disagree widen, e.g. int
     * and double to double, else become string), unless {@code forced} names the type.
     *
     * @throws IllegalArgumentException naming the directory, if the files do not all lie under
     *     the same partition columns, a directory holds {@code name=} without a value, or a value
     *     is not of its forced type; or if {@code forced} names no partition column
     */
    public static Partitions discover(List<Located> files, Map<String, PartitionType> forced) {
        Map<String, List<String[]>> byDirectory = new LinkedHashMap<>();
        for (Located located : files) {
            String dir = parent(located.file());
            if (!byDirectory.containsKey(dir)) {
                byDirectory.put(dir, segments(dir, located.root()));
            }
        }
        List<String> names = null;
        String first = null;
        for (Map.Entry<String, List<String[]>> dir : byDirectory.entrySet()) {
            List<String> keys = dir.getValue().stream().map(kv -> kv[0]).toList();
            if (names == null) {
                names = keys;
                first = dir.getKey();
            } else if (!names.equals(keys)) {
                throw new IllegalArgumentException(
                        "inconsistent partition directories: "
                                + Storage.mask(dir.getKey())
                                + " has partition columns "
                                + keys
                                + " but "
                                + Storage.mask(first)
                                + " has "
                                + names
                                + "; data files must lie only in leaf directories, all under the"
                                + " same name=value levels (read them in separate jobs)");
            }
        }
        if (names == null || names.isEmpty()) {
            if (!forced.isEmpty()) {
                throw new IllegalArgumentException(
                        "partition types were given for "
                                + forced.keySet()
                                + " but the input has no name=value directories; drop them"
                                + " ("
                                + SettingNames.PARTITION_TYPES
                                + ")");
            }
            return NONE;
        }
        return typed(names, byDirectory, forced);
    }

    private static Partitions typed(
            List<String> names,
            Map<String, List<String[]>> byDirectory,
            Map<String, PartitionType> forced) {
        for (String name : forced.keySet()) {
            if (!names.contains(name)) {
                throw new IllegalArgumentException(
                        "a partition type was given for '"
                                + name
                                + "', which is not a partition column; the partition columns are "
                                + names
                                + " ("
                                + SettingNames.PARTITION_TYPES
                                + ")");
            }
        }
        List<Column> columns = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            PartitionType type = forced.get(name);
            if (type == null) {
                Inferred widest = Inferred.NULL;
                for (List<String[]> segments : byDirectory.values()) {
                    widest = widest.widen(Inferred.of(segments.get(i)[1]));
                }
                type = widest.type();
            }
            columns.add(new Column(name, type));
        }
        Partitions partitions = new Partitions(columns);
        for (String dir : byDirectory.keySet()) {
            partitions.valuesOfDirectory(dir);
        }
        return partitions;
    }

    /**
     * The partition values of {@code file} by column name, in column order: {@code Integer},
     * {@code Long}, {@code Double}, {@code LocalDate}, {@code String} or null.
     *
     * @throws IllegalArgumentException if a value is not of its column's type, naming the directory
     */
    public Map<String, Object> values(String file) {
        return valuesOfDirectory(parent(file));
    }

    private Map<String, Object> valuesOfDirectory(String dir) {
        Map<String, Object> values = new LinkedHashMap<>();
        String[] parts = dir.split("/");
        for (int i = 0; i < columns.size(); i++) {
            Column column = columns.get(i);
            String segment = parts[parts.length - columns.size() + i];
            String raw = segment.substring(segment.indexOf('=') + 1);
            try {
                values.put(column.name(), parse(raw, column.type()));
            } catch (IllegalArgumentException | DateTimeParseException e) {
                throw new IllegalArgumentException(
                        "partition directory "
                                + Storage.mask(dir)
                                + ": '"
                                + HivePaths.unescape(raw)
                                + "' is not of type "
                                + name(column.type())
                                + " (partition column '"
                                + column.name()
                                + "'); read it as a string ("
                                + SettingNames.PARTITION_TYPES
                                + ")",
                        e);
            }
        }
        return values;
    }

    /** The Arrow fields of the partition columns: all nullable, as in Spark. */
    public List<Field> fields() {
        return columns.stream().map(c -> field(c.name(), c.type())).toList();
    }

    static Field field(String name, PartitionType type) {
        ArrowType arrow =
                switch (type) {
                    case INT -> new ArrowType.Int(32, true);
                    case LONG -> new ArrowType.Int(64, true);
                    case DOUBLE -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
                    case DATE -> new ArrowType.Date(DateUnit.DAY);
                    case STRING -> ArrowType.Utf8.INSTANCE;
                };
        return new Field(name, FieldType.nullable(arrow), null);
    }

    /** Sets {@code rows} values of {@code vector} (a vector of a {@link #fields()} field). */
    static void fill(FieldVector vector, Object value, int rows) {
        vector.setInitialCapacity(rows);
        vector.allocateNew();
        if (value != null) {
            byte[] text =
                    value instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : null;
            for (int r = 0; r < rows; r++) {
                if (vector instanceof IntVector v) {
                    v.set(r, (Integer) value);
                } else if (vector instanceof BigIntVector v) {
                    v.set(r, (Long) value);
                } else if (vector instanceof Float8Vector v) {
                    v.set(r, (Double) value);
                } else if (vector instanceof DateDayVector v) {
                    v.set(r, (int) ((LocalDate) value).toEpochDay());
                } else {
                    ((VarCharVector) vector).setSafe(r, text);
                }
            }
        }
        vector.setValueCount(rows);
    }

    /** A type's name as flags and messages spell it. */
    static String name(PartitionType type) {
        return type.name().toLowerCase(Locale.ROOT);
    }

    private static Object parse(String raw, PartitionType type) {
        if (raw.equals(HivePaths.DEFAULT_PARTITION)) {
            return null;
        }
        return switch (type) {
            case INT -> Integer.parseInt(raw);
            case LONG -> Long.parseLong(raw);
            case DOUBLE -> Double.parseDouble(raw);
            case DATE -> parseDate(HivePaths.unescape(raw));
            case STRING -> HivePaths.unescape(raw);
        };
    }

    /** A date written {@code yyyy-MM-dd}, as Spark's partition discovery takes it. */
    static LocalDate parseDate(String text) {
        if (!DATE.matcher(text).matches()) {
            throw new IllegalArgumentException("not yyyy-MM-dd: " + text);
        }
        return LocalDate.parse(text);
    }

    /** The {@code name=value} segments between {@code dir} and {@code root}: [name, raw value]. */
    private static List<String[]> segments(String dir, String root) {
        String base = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
        List<String[]> segments = new ArrayList<>();
        if (!dir.startsWith(base + "/")) {
            return segments;
        }
        String[] parts = dir.substring(base.length() + 1).split("/");
        if (!segmentsAnywhere(parts)) {
            return segments;
        }
        for (String part : parts) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw notPartition(dir, part);
            }
            if (eq == part.length() - 1) {
                throw new IllegalArgumentException(
                        "partition directory "
                                + Storage.mask(dir)
                                + " has no value after '"
                                + part
                                + "'; name it "
                                + part
                                + HivePaths.DEFAULT_PARTITION
                                + " for a null value");
            }
            segments.add(
                    new String[] {HivePaths.unescape(part.substring(0, eq)), part.substring(eq + 1)});
        }
        return segments;
    }

    private static boolean segmentsAnywhere(String[] parts) {
        for (String part : parts) {
            if (part.indexOf('=') > 0) {
                return true;
            }
        }
        return false;
    }

    private static IllegalArgumentException notPartition(String dir, String part) {
        return new IllegalArgumentException(
                "inconsistent partition directories: "
                        + Storage.mask(dir)
                        + " has the directory '"
                        + part
                        + "', which is not name=value; data files must lie only in leaf"
                        + " directories, all under the same name=value levels (read them in"
                        + " separate jobs)");
    }

    private static String parent(String file) {
        int slash = file.lastIndexOf('/');
        return slash < 0 ? "" : file.substring(0, slash);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Partitions p && p.columns.equals(columns);
    }

    @Override
    public int hashCode() {
        return columns.hashCode();
    }

    @Override
    public String toString() {
        return columns.toString();
    }

    /** What one raw value could be, in Spark's order of trying, and how two values widen. */
    private enum Inferred {
        NULL,
        INT,
        LONG,
        DECIMAL,
        DOUBLE,
        DATE,
        STRING;

        static Inferred of(String raw) {
            if (raw.equals(HivePaths.DEFAULT_PARTITION)) {
                return NULL;
            }
            if (parses(() -> Integer.parseInt(raw))) {
                return INT;
            }
            if (parses(() -> Long.parseLong(raw))) {
                return LONG;
            }
            if (parses(() -> new BigDecimal(raw).scale() <= 0 ? raw : null)) {
                return DECIMAL;
            }
            if (parses(() -> Double.parseDouble(raw))) {
                return DOUBLE;
            }
            if (parses(() -> parseDate(raw))) {
                return DATE;
            }
            return STRING;
        }

        Inferred widen(Inferred other) {
            if (this == other || other == NULL) {
                return this;
            }
            if (this == NULL) {
                return other;
            }
            Inferred low = ordinal() < other.ordinal() ? this : other;
            Inferred high = low == this ? other : this;
            boolean integral = low == INT || low == LONG;
            if (integral && (high == LONG || high == DECIMAL)) {
                return high;
            }
            return low == INT && high == DOUBLE ? DOUBLE : STRING;
        }

        /**
         * As a column type: a column of nulls only is a string column; integers past the long
         * range (Spark's decimal(38,0)) are read as strings, as decimals are not supported here.
         */
        PartitionType type() {
            return switch (this) {
                case INT -> PartitionType.INT;
                case LONG -> PartitionType.LONG;
                case DOUBLE -> PartitionType.DOUBLE;
                case DATE -> PartitionType.DATE;
                case NULL, DECIMAL, STRING -> PartitionType.STRING;
            };
        }

        private static boolean parses(java.util.function.Supplier<Object> parse) {
            try {
                return parse.get() != null;
            } catch (RuntimeException e) {
                return false;
            }
        }
    }
}
