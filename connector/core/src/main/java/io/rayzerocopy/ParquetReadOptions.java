package io.rayzerocopy;

import io.rayzerocopy.internal.data.PartitionExpression;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link Dataset#readParquet(ParquetReadOptions, String...)} reads a Hive-partitioned table
 * ({@code in/date=2026-12-01/part-0.parquet}): the partition columns' types where Spark's inference
 * is not wanted, and which partitions to read. Immutable and serializable; start from {@link
 * #defaults()} or {@link #builder()}.
 *
 * <pre>{@code
 * ParquetReadOptions.builder()
 *     .partitionType("date", ParquetReadOptions.PartitionType.STRING)
 *     .where("date >= '2026-12-01' AND region IN ('eu', 'us')")
 *     .build();
 * }</pre>
 */
public final class ParquetReadOptions implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final ParquetReadOptions DEFAULTS = builder().build();

    /** The type of a partition column's values. */
    public enum PartitionType {
        /** 32-bit signed integer ({@code Integer}). */
        INT,
        /** 64-bit signed integer ({@code Long}). */
        LONG,
        /** 64-bit floating point ({@code Double}). */
        DOUBLE,
        /** A calendar date, {@code yyyy-MM-dd} ({@code java.time.LocalDate}). */
        DATE,
        /** Text ({@code String}). */
        STRING;

        /** The type named {@code name} ({@code int}, {@code long}, {@code double}, ...). */
        public static PartitionType of(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "unknown partition type '" + name + "': use int, long, double, date or string",
                        e);
            }
        }
    }

    /**
     * Keeps or drops a partition, given its values by column name ({@code Integer}, {@code Long},
     * {@code Double}, {@code LocalDate}, {@code String}, or {@code null} for {@code
     * __HIVE_DEFAULT_PARTITION__}). Runs on the driver before any file is opened.
     */
    @FunctionalInterface
    public interface PartitionFilter extends Serializable {
        boolean keep(Map<String, Object> partition);
    }

    private final Map<String, PartitionType> partitionTypes;
    private final String where;
    private final PartitionFilter filter;

    private ParquetReadOptions(Builder builder) {
        this.partitionTypes = Map.copyOf(builder.partitionTypes);
        this.where = builder.where;
        this.filter = builder.filter;
    }

    /** Partition types inferred as Spark infers them, every partition read. */
    public static ParquetReadOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The partition columns whose type is forced rather than inferred. */
    public Map<String, PartitionType> partitionTypes() {
        return partitionTypes;
    }

    /** The partition filter expression, or {@code null} for none (see {@link Builder#where}). */
    public String where() {
        return where;
    }

    /** The Java partition filter, or {@code null} for none. */
    public PartitionFilter partitionFilter() {
        return filter;
    }

    @Override
    public String toString() {
        return "ParquetReadOptions{partitionTypes="
                + partitionTypes
                + (where == null ? "" : ", where=" + where)
                + (filter == null ? "" : ", partitionFilter")
                + "}";
    }

    /** Builds {@link ParquetReadOptions}. */
    public static final class Builder {
        private final Map<String, PartitionType> partitionTypes = new LinkedHashMap<>();
        private String where;
        private PartitionFilter filter;

        private Builder() {}

        /** Reads partition column {@code column} as {@code type} instead of inferring it. */
        public Builder partitionType(String column, PartitionType type) {
            Objects.requireNonNull(column, "column");
            partitionTypes.put(column, Objects.requireNonNull(type, "type"));
            return this;
        }

        /**
         * Reads only the partitions for which {@code expression} holds: comparisons of partition
         * columns with literals ({@code =, !=, <, <=, >, >=}, {@code IN (...)}), joined with
         * {@code AND}, {@code OR}, {@code NOT} and parentheses. Literals are numbers, {@code
         * 'text'}, {@code DATE '2026-12-01'} (a quoted date compared with a date column is a date
         * too) and {@code NULL} ({@code col IS NULL}, {@code col IS NOT NULL}). Checked when the
         * dataset is read: an unknown column or a literal of another type than the column is
         * refused, naming both.
         *
         * @throws IllegalArgumentException if the expression is malformed (naming the position)
         */
        public Builder where(String expression) {
            if (expression != null && expression.isBlank()) {
                throw new IllegalArgumentException("where expression is blank: give one or null");
            }
            if (expression != null) {
                PartitionExpression.parse(expression);
            }
            this.where = expression;
            return this;
        }

        /** Reads only the partitions {@code keep} keeps (together with {@link #where}). */
        public Builder partitionFilter(PartitionFilter keep) {
            this.filter = keep;
            return this;
        }

        public ParquetReadOptions build() {
            return new ParquetReadOptions(this);
        }
    }
}
