package io.rayzerocopy.internal.data;

import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.PageWriter;
import org.apache.parquet.column.statistics.SizeStatistics;
import org.apache.parquet.column.statistics.Statistics;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes one int32, int64, float or double column (flat, list or fixed-size list) of a row group
 * straight to parquet-mr's page writer, as PLAIN data pages (v1) with RLE levels. Values are copied
 * from Arrow's buffers in bulk, levels are filled a range at a time, and each page's statistics are
 * found in one loop.
 *
 * <p>Why not parquet-mr's column writer: it takes one call per value, each updating statistics
 * through a comparator and encoding two levels, and was a quarter of a Spark executor's time in a
 * profile of the scoring job (docs/benchmarks.md). The pages and statistics written here are the
 * ones that writer makes, except that numbers are never dictionary-encoded.
 */
final class NumericPageWriter {
    /** parquet-mr's default page size and row count limit per page. */
    static final int PAGE_BYTES = 1 << 20;

    static final int PAGE_ROWS = 20_000;

    private static final VarHandle INTS =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle FLOATS =
            MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle DOUBLES =
            MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);

    private final ColumnLayout layout;
    private final ColumnDescriptor descriptor;
    private final int width;
    private final int maxRepetition;
    private final int maxDefinition;
    private PageWriter pages;

    // The page being filled: PLAIN values of its non-null slots, and one level pair per slot.
    private byte[] values = new byte[1 << 16];
    private int valueBytes;
    private byte[] repetition = new byte[1 << 14];
    private byte[] definition = new byte[1 << 14];
    private int slots;
    private int pageRows;

    NumericPageWriter(ColumnLayout layout, ColumnDescriptor descriptor) {
        if (!supports(layout)) {
            throw new IllegalArgumentException("not a numeric column: " + layout);
        }
        this.layout = layout;
        this.descriptor = descriptor;
        this.width =
                layout.leaf() == ColumnLayout.Leaf.INT32
                                || layout.leaf() == ColumnLayout.Leaf.DATE
                                || layout.leaf() == ColumnLayout.Leaf.FLOAT
                        ? 4
                        : 8;
        this.maxRepetition = descriptor.getMaxRepetitionLevel();
        this.maxDefinition = descriptor.getMaxDefinitionLevel();
    }

    /** Whether this writer takes columns of {@code layout}: numbers, flat or in lists. */
    static boolean supports(ColumnLayout layout) {
        return switch (layout.leaf()) {
            case INT32, INT64, FLOAT, DOUBLE, DATE -> true;
            default -> false;
        };
    }

    /** Starts a row group, whose pages go to {@code pages}. */
    void startRowGroup(PageWriter pages) {
        this.pages = pages;
        valueBytes = 0;
        slots = 0;
        pageRows = 0;
    }

    /** Bytes this column holds for the row group: pages written and the one being filled. */
    long bufferedSize() {
        return (pages == null ? 0 : pages.getMemSize()) + valueBytes + 2L * slots;
    }

    /** Appends rows {@code [from, from + count)} of {@code vector}, cutting pages as they fill. */
    void write(FieldVector vector, int from, int count) throws IOException {
        int done = 0;
        while (done < count) {
            int take = Math.min(count - done, PAGE_ROWS - pageRows);
            take = Math.min(take, rowsThatFit(vector, from + done, take));
            if (layout.shape() == ColumnLayout.Shape.FLAT) {
                appendFlat(vector, from + done, take);
            } else {
                appendLists(vector, from + done, take);
            }
            pageRows += take;
            done += take;
            if (pageRows >= PAGE_ROWS || valueBytes >= PAGE_BYTES) {
                flushPage();
            }
        }
    }

    /** Writes the page being filled; called before the row group is flushed. */
    void finishRowGroup() throws IOException {
        flushPage();
        pages = null;
    }

    /**
     * How many of {@code count} rows from {@code from} fit in the page being filled (at least 1).
     */
    private int rowsThatFit(FieldVector vector, int from, int count) {
        long perRow =
                switch (layout.shape()) {
                    case FLAT -> width;
                    case FIXED_SIZE_LIST -> (long) width * Math.max(1, layout.listSize());
                    case LIST -> {
                        ListVector list = (ListVector) vector;
                        long elements =
                                list.getElementEndIndex(from + count - 1)
                                        - list.getElementStartIndex(from);
                        yield Math.max(width, width * elements / count);
                    }
                };
        long room = Math.max(PAGE_BYTES - valueBytes, 0);
        return (int) Math.max(1, Math.min(count, (room + perRow - 1) / perRow));
    }

    private void appendFlat(FieldVector vector, int from, int count) {
        ensureSlots(count);
        if (vector.getNullCount() == 0) {
            if (maxDefinition > 0) {
                Arrays.fill(definition, slots, slots + count, (byte) maxDefinition);
            }
            copyValues(vector, from, count);
            slots += count;
            return;
        }
        ensureValues(count);
        for (int i = from, end = from + count; i < end; i++) {
            if (vector.isNull(i)) {
                definition[slots++] = 0;
            } else {
                definition[slots++] = (byte) maxDefinition;
                copyValues(vector, i, 1);
            }
        }
    }

    private void appendLists(FieldVector vector, int from, int count) {
        boolean fixed = layout.shape() == ColumnLayout.Shape.FIXED_SIZE_LIST;
        FieldVector child =
                fixed
                        ? ((FixedSizeListVector) vector).getDataVector()
                        : ((ListVector) vector).getDataVector();
        int first = start(vector, from);
        int last = end(vector, from + count - 1);
        boolean simple =
                vector.getNullCount() == 0
                        && child.getNullCount() == 0
                        && noEmptyList(vector, from, count);
        if (simple) {
            // Every row a non-empty list of present values: the levels are 0 then 1s per row, all
            // at the highest definition, and the values one contiguous range of the child.
            int elements = last - first;
            ensureSlots(elements);
            Arrays.fill(repetition, slots, slots + elements, (byte) 1);
            Arrays.fill(definition, slots, slots + elements, (byte) maxDefinition);
            for (int i = from, end = from + count; i < end; i++) {
                repetition[slots + start(vector, i) - first] = 0;
            }
            slots += elements;
            copyValues(child, first, elements);
            return;
        }
        int listDefinition = layout.nullable() ? 1 : 0;
        for (int i = from, end = from + count; i < end; i++) {
            ensureSlots(Math.max(1, end(vector, i) - start(vector, i)));
            if (vector.isNull(i)) {
                repetition[slots] = 0;
                definition[slots++] = 0;
                continue;
            }
            int start = start(vector, i);
            int stop = end(vector, i);
            if (start == stop) {
                repetition[slots] = 0;
                definition[slots++] = (byte) listDefinition;
                continue;
            }
            for (int j = start; j < stop; j++) {
                repetition[slots] = (byte) (j == start ? 0 : 1);
                if (child.isNull(j)) {
                    definition[slots++] = (byte) (maxDefinition - 1);
                } else {
                    definition[slots++] = (byte) maxDefinition;
                    copyValues(child, j, 1);
                }
            }
        }
    }

    private int start(FieldVector vector, int row) {
        return layout.shape() == ColumnLayout.Shape.FIXED_SIZE_LIST
                ? row * layout.listSize()
                : ((ListVector) vector).getElementStartIndex(row);
    }

    private int end(FieldVector vector, int row) {
        return layout.shape() == ColumnLayout.Shape.FIXED_SIZE_LIST
                ? (row + 1) * layout.listSize()
                : ((ListVector) vector).getElementEndIndex(row);
    }

    private boolean noEmptyList(FieldVector vector, int from, int count) {
        if (layout.shape() == ColumnLayout.Shape.FIXED_SIZE_LIST) {
            return layout.listSize() > 0;
        }
        ListVector list = (ListVector) vector;
        for (int i = from, end = from + count; i < end; i++) {
            if (list.getElementStartIndex(i) == list.getElementEndIndex(i)) {
                return false;
            }
        }
        return true;
    }

    private void copyValues(FieldVector vector, int index, int count) {
        ensureValues(count);
        vector.getDataBuffer().getBytes((long) index * width, values, valueBytes, count * width);
        valueBytes += count * width;
    }

    private void ensureValues(int count) {
        long need = valueBytes + (long) count * width;
        if (need > values.length) {
            values = Arrays.copyOf(values, grow(values.length, need));
        }
    }

    private void ensureSlots(int count) {
        long need = (long) slots + count;
        if (need > repetition.length) {
            int size = grow(repetition.length, need);
            repetition = Arrays.copyOf(repetition, size);
            definition = Arrays.copyOf(definition, size);
        }
    }

    private static int grow(int size, long need) {
        long grown = Math.max(need, 2L * size);
        if (grown > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("a Parquet page cannot hold " + need + " bytes");
        }
        return (int) grown;
    }

    private void flushPage() throws IOException {
        if (slots == 0) {
            return;
        }
        LevelBytes levels = new LevelBytes(2 * slots / 8 + 64);
        List<Long> repetitionHistogram = List.of();
        List<Long> definitionHistogram = List.of();
        if (maxRepetition > 0) {
            repetitionHistogram = levels.encodeWithLength(repetition, slots, maxRepetition);
        }
        if (maxDefinition > 0) {
            List<Long> histogram = levels.encodeWithLength(definition, slots, maxDefinition);
            // parquet-mr keeps a definition histogram only above level 1 (the null count says it).
            definitionHistogram = maxDefinition > 1 ? histogram : List.of();
        }
        // A new array per page, not the reused buffers: parquet-mr's page writer may keep the
        // bytes it is given (uncompressed pages) until the row group is flushed.
        byte[] page = Arrays.copyOf(levels.bytes, levels.size + valueBytes);
        System.arraycopy(values, 0, page, levels.size, valueBytes);
        int present = valueBytes / width;
        pages.writePage(
                BytesInput.from(page),
                slots,
                pageRows,
                statistics(present, slots - present),
                new SizeStatistics(
                        descriptor.getPrimitiveType(), 0, repetitionHistogram, definitionHistogram),
                /* geospatialStatistics= */ null,
                maxRepetition > 0 ? Encoding.RLE : Encoding.BIT_PACKED,
                maxDefinition > 0 ? Encoding.RLE : Encoding.BIT_PACKED,
                Encoding.PLAIN);
        valueBytes = 0;
        slots = 0;
        pageRows = 0;
    }

    /**
     * The page's statistics as parquet-mr's writer makes them from every value: the same minimum,
     * maximum and null count, found here in one pass over the page's values.
     */
    private Statistics<?> statistics(int present, long nulls) {
        Statistics<?> stats = Statistics.createStats(descriptor.getPrimitiveType());
        stats.incrementNumNulls(nulls);
        if (present == 0) {
            return stats;
        }
        switch (layout.leaf()) {
            case INT32, INT64, DATE -> {
                long min = Long.MAX_VALUE;
                long max = Long.MIN_VALUE;
                for (int i = 0; i < present; i++) {
                    long v =
                            width == 4
                                    ? (long) (int) INTS.get(values, i * 4)
                                    : (long) LONGS.get(values, i * 8);
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
                if (width == 4) {
                    stats.updateStats((int) min);
                    stats.updateStats((int) max);
                } else {
                    stats.updateStats(min);
                    stats.updateStats(max);
                }
            }
            case FLOAT -> {
                FloatRange range = new FloatRange();
                for (int i = 0; i < present; i++) {
                    range.add((float) FLOATS.get(values, i * 4));
                }
                range.applyTo(stats, false);
            }
            case DOUBLE -> {
                FloatRange range = new FloatRange();
                for (int i = 0; i < present; i++) {
                    range.add((double) DOUBLES.get(values, i * 8));
                }
                range.applyTo(stats, true);
            }
            default -> throw new IllegalStateException("not numeric: " + layout.leaf());
        }
        return stats;
    }

    /**
     * The minimum and maximum of floating-point values, kept with plain comparisons (which the JIT
     * makes cheap) and a flag for NaN, which they do not order. The two zeros need nothing more:
     * Parquet's writer stores a zero minimum as -0.0 and a zero maximum as +0.0 whichever it saw.
     */
    private static final class FloatRange {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        boolean ordinary;
        boolean nan;

        void add(double v) {
            if (v != v) {
                nan = true;
                return;
            }
            ordinary = true;
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }

        /** Feeds the extremes (and NaN if seen) to {@code stats}, which orders them itself. */
        void applyTo(Statistics<?> stats, boolean isDouble) {
            double[] extremes =
                    ordinary && nan
                            ? new double[] {min, max, Double.NaN}
                            : ordinary ? new double[] {min, max} : new double[] {Double.NaN};
            for (double v : extremes) {
                if (isDouble) {
                    stats.updateStats(v);
                } else {
                    stats.updateStats((float) v);
                }
            }
        }
    }

    /**
     * A page's level sections: each a 4-byte little-endian length and the levels in the RLE /
     * bit-packing hybrid encoding, a run of eight or more equal levels as one RLE run and the rest
     * bit-packed eight at a time. Not parquet-mr's {@code RunLengthBitPackingHybridEncoder}: that
     * takes a call per level, which showed in the writer's profile; here a run of a list's 127
     * equal levels is found by one scan and written as one header and one byte.
     */
    private static final class LevelBytes {
        /** Bit-packed groups per run header: 63 keeps the header one byte, as parquet-mr does. */
        private static final int MAX_GROUPS = 63;

        byte[] bytes;
        int size;

        LevelBytes(int capacity) {
            bytes = new byte[Math.max(capacity, 64)];
        }

        /** Encodes {@code levels[0, count)}; returns how many there are of each level. */
        List<Long> encodeWithLength(byte[] levels, int count, int maxLevel) {
            int bitWidth = 32 - Integer.numberOfLeadingZeros(maxLevel);
            long[] histogram = new long[maxLevel + 1];
            int lengthAt = size;
            size += 4;
            int pending = 0; // first level of the bit-packed groups not yet written
            int i = 0;
            while (i < count) {
                byte value = levels[i];
                int run = 1;
                while (i + run < count && levels[i + run] == value) {
                    run++;
                }
                if (run >= 8 && i == pending) {
                    histogram[value] += run;
                    writeVarInt(run << 1);
                    write(value);
                    i += run;
                    pending = i;
                } else if (run >= 8) {
                    // Bit-pack what is pending first; the run is taken on the next turn.
                    flushGroups(levels, pending, i, count, bitWidth, histogram);
                    pending = i;
                } else {
                    // Fewer than eight equal: the next group of eight is bit-packed.
                    i = Math.min(i + 8, count);
                    if (i - pending >= 8 * MAX_GROUPS) {
                        flushGroups(levels, pending, i, count, bitWidth, histogram);
                        pending = i;
                    }
                }
            }
            flushGroups(levels, pending, count, count, bitWidth, histogram);
            int length = size - lengthAt - 4;
            bytes[lengthAt] = (byte) length;
            bytes[lengthAt + 1] = (byte) (length >>> 8);
            bytes[lengthAt + 2] = (byte) (length >>> 16);
            bytes[lengthAt + 3] = (byte) (length >>> 24);
            List<Long> counts = new ArrayList<>(histogram.length);
            for (long c : histogram) {
                counts.add(c);
            }
            return counts;
        }

        /**
         * Bit-packs {@code levels[from, to)}, a whole number of groups of eight unless {@code to}
         * is the end, where the last group is padded with zeros.
         */
        private void flushGroups(
                byte[] levels, int from, int to, int count, int bitWidth, long[] histogram) {
            if (from >= to) {
                return;
            }
            int groups = (to - from + 7) / 8;
            writeVarInt((groups << 1) | 1);
            ensure(groups * bitWidth);
            for (int g = 0; g < groups; g++) {
                long packed = 0;
                for (int k = 0; k < 8; k++) {
                    int at = from + 8 * g + k;
                    if (at < count && at < to) {
                        packed |= (long) levels[at] << (k * bitWidth);
                        histogram[levels[at]]++;
                    }
                }
                for (int b = 0; b < bitWidth; b++) {
                    bytes[size++] = (byte) (packed >>> (8 * b));
                }
            }
        }

        private void writeVarInt(int value) {
            ensure(5);
            while ((value & ~0x7f) != 0) {
                bytes[size++] = (byte) ((value & 0x7f) | 0x80);
                value >>>= 7;
            }
            bytes[size++] = (byte) value;
        }

        private void write(byte value) {
            ensure(1);
            bytes[size++] = value;
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }
    }
}
