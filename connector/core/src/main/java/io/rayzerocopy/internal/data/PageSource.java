package io.rayzerocopy.internal.data;

import io.rayzerocopy.DatasetException;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.IntVector;
import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReadStore;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ValuesType;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.values.ValuesReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Triplets of an int32, int64, float or double column read page by page with parquet-mr's page and
 * level readers. PLAIN-encoded values are not decoded one by one: runs of consecutive non-null
 * values are copied from the page straight into the Arrow value buffer with one bulk copy each.
 * Dictionary and other encodings go through parquet-mr's values readers.
 */
final class PageSource implements ValueSource {
    private final ColumnDescriptor descriptor;
    private final int width;
    private final int maxRepetition;
    private final int maxDefinition;
    private PageReader pages;
    private Dictionary dictionary;
    private long valuesLeft;
    private int pageValuesLeft;
    private int[] repetitionLevels = new int[0];
    private int[] definitionLevels = new int[0];
    private int level;

    /**
     * Whether the page has no nulls and lists, if any, are not nested: then its levels are not
     * expanded; every definition level is the highest and rows start at {@code rowStarts}.
     */
    private boolean compact;

    private int[] rowStarts = new int[0];
    private int startCount;
    private int startCursor;
    private ByteBuffer plain;
    private ValuesReader values;
    private int repetition;
    private int definition;
    private BaseFixedWidthVector runVector;
    private int runStart;
    private int runCount;
    private int runBufferStart;

    PageSource(ColumnDescriptor descriptor, ColumnLayout.Leaf leaf) {
        this.descriptor = descriptor;
        this.width =
                switch (leaf) {
                    case INT32, FLOAT, DATE -> 4;
                    case INT64, DOUBLE -> 8;
                    default -> throw new IllegalArgumentException("no fixed width for " + leaf);
                };
        this.maxRepetition = descriptor.getMaxRepetitionLevel();
        this.maxDefinition = descriptor.getMaxDefinitionLevel();
    }

    /** Whether this source can read a column of {@code leaf} values. */
    static boolean supports(ColumnLayout.Leaf leaf) {
        return leaf == ColumnLayout.Leaf.INT32
                || leaf == ColumnLayout.Leaf.DATE
                || leaf == ColumnLayout.Leaf.INT64
                || leaf == ColumnLayout.Leaf.FLOAT
                || leaf == ColumnLayout.Leaf.DOUBLE;
    }

    @Override
    public void startRowGroup(PageReadStore store, ColumnReadStore columns) {
        flush();
        pages = store.getPageReader(descriptor);
        valuesLeft = pages.getTotalValueCount();
        pageValuesLeft = 0;
        DictionaryPage dictionaryPage = pages.readDictionaryPage();
        try {
            dictionary =
                    dictionaryPage == null
                            ? null
                            : dictionaryPage
                                    .getEncoding()
                                    .initDictionary(descriptor, dictionaryPage);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dictionary of " + descriptor, e);
        }
        if (valuesLeft > 0) {
            loadTriplet();
        }
    }

    @Override
    public boolean hasCurrent() {
        return valuesLeft > 0;
    }

    @Override
    public int repetitionLevel() {
        return repetition;
    }

    @Override
    public int definitionLevel() {
        return definition;
    }

    @Override
    public void readInto(ColumnLayout.Leaf leaf, FieldVector target, int index) {
        if (plain == null) {
            decode(leaf, target, index);
        } else {
            extendRun(target, index, 1);
        }
    }

    @Override
    public int presentRun(int maxDefinitionLevel, boolean continuation, int limit) {
        int current = level - 1;
        int available = Math.min(limit, pageValuesLeft + 1);
        if (compact) {
            if (!continuation) {
                return available;
            }
            if (repetition == 0) {
                return 0;
            }
            int nextRow = startCursor < startCount ? rowStarts[startCursor] : current + available;
            return Math.min(available, nextRow - current);
        }
        int count = 0;
        while (count < available
                && (maxDefinition == 0 || definitionLevels[current + count] == maxDefinitionLevel)
                && (!continuation || repetitionLevels[current + count] > 0)) {
            count++;
        }
        return count;
    }

    @Override
    public void readPresent(ColumnLayout.Leaf leaf, FieldVector target, int index, int count) {
        if (plain == null) {
            for (int i = 0; i < count; i++) {
                decode(leaf, target, index + i);
            }
        } else {
            extendRun(target, index, count);
        }
        level += count - 1;
        pageValuesLeft -= count - 1;
        valuesLeft -= count;
        if (valuesLeft > 0) {
            loadTriplet();
        }
    }

    private void decode(ColumnLayout.Leaf leaf, FieldVector target, int index) {
        switch (leaf) {
            case INT32 -> ((IntVector) target).setSafe(index, values.readInteger());
            case DATE -> ((DateDayVector) target).setSafe(index, values.readInteger());
            case INT64 -> ((BigIntVector) target).setSafe(index, values.readLong());
            case FLOAT -> ((Float4Vector) target).setSafe(index, values.readFloat());
            case DOUBLE -> ((Float8Vector) target).setSafe(index, values.readDouble());
            default -> throw new IllegalStateException("not a fixed-width column: " + leaf);
        }
    }

    /** Defers copying {@code count} PLAIN values to {@code target[index...]} into the run. */
    private void extendRun(FieldVector target, int index, int count) {
        if (target != runVector || index != runStart + runCount) {
            flush();
            runVector = (BaseFixedWidthVector) target;
            runStart = index;
            runBufferStart = plain.position();
        }
        runCount += count;
        plain.position(plain.position() + count * width);
    }

    @Override
    public void consume() {
        valuesLeft--;
        if (valuesLeft > 0) {
            loadTriplet();
        }
    }

    @Override
    public void flush() {
        if (runCount == 0) {
            return;
        }
        int end = runStart + runCount;
        while (runVector.getValueCapacity() < end) {
            runVector.reAlloc();
        }
        long target = (long) runStart * width;
        int length = runCount * width;
        if (plain.hasArray()) {
            // ArrowBuf.setBytes(long, ByteBuffer, int, int) ignores arrayOffset() when the range
            // covers the whole buffer, so pass the backing array and its offset explicitly.
            runVector
                    .getDataBuffer()
                    .setBytes(target, plain.array(), plain.arrayOffset() + runBufferStart, length);
        } else {
            ByteBuffer run = plain.duplicate();
            run.position(runBufferStart).limit(runBufferStart + length);
            runVector.getDataBuffer().setBytes(target, run);
        }
        setValid(runVector.getValidityBuffer(), runStart, end);
        runCount = 0;
    }

    /** Sets validity bits {@code [from, to)}: single bits at the edges, whole bytes between. */
    private static void setValid(ArrowBuf validity, int from, int to) {
        int i = from;
        while (i < to && (i & 7) != 0) {
            BitVectorHelper.setBit(validity, i++);
        }
        int wholeBytes = (to - i) / 8;
        if (wholeBytes > 0) {
            validity.setOne((long) (i / 8), (long) wholeBytes);
            i += wholeBytes * 8;
        }
        while (i < to) {
            BitVectorHelper.setBit(validity, i++);
        }
    }

    private void loadTriplet() {
        if (pageValuesLeft == 0) {
            flush();
            readPage();
        }
        if (compact) {
            while (startCursor < startCount && rowStarts[startCursor] < level) {
                startCursor++;
            }
            if (maxRepetition > 0 && startCursor < startCount && rowStarts[startCursor] == level) {
                repetition = 0;
                startCursor++;
            } else {
                repetition = maxRepetition == 0 ? 0 : 1;
            }
            definition = maxDefinition;
        } else {
            repetition = maxRepetition == 0 ? 0 : repetitionLevels[level];
            definition = maxDefinition == 0 ? 0 : definitionLevels[level];
        }
        level++;
        pageValuesLeft--;
    }

    private void readPage() {
        DataPage page = pages.readPage();
        if (page == null) {
            throw new DatasetException(
                    "column "
                            + descriptor
                            + " ended before its "
                            + pages.getTotalValueCount()
                            + " values");
        }
        pageValuesLeft = page.getValueCount();
        level = 0;
        try {
            page.accept(
                    new DataPage.Visitor<Void>() {
                        @Override
                        public Void visit(DataPageV1 v1) {
                            try {
                                ByteBufferInputStream in = v1.getBytes().toInputStream();
                                int count = v1.getValueCount();
                                if ((maxRepetition == 0 || v1.getRlEncoding() == Encoding.RLE)
                                        && (maxDefinition == 0
                                                || v1.getDlEncoding() == Encoding.RLE)) {
                                    ByteBuffer rep = maxRepetition > 0 ? lengthPrefixed(in) : null;
                                    ByteBuffer def = maxDefinition > 0 ? lengthPrefixed(in) : null;
                                    levels(rep, def, count);
                                    startValues(v1.getValueEncoding(), count, in);
                                    return null;
                                }
                                compact = false;
                                allocateLevels(count);
                                if (maxRepetition > 0) {
                                    levels(
                                            v1.getRlEncoding(),
                                            ValuesType.REPETITION_LEVEL,
                                            maxRepetition,
                                            count,
                                            in,
                                            repetitionLevels);
                                }
                                if (maxDefinition > 0) {
                                    levels(
                                            v1.getDlEncoding(),
                                            ValuesType.DEFINITION_LEVEL,
                                            maxDefinition,
                                            count,
                                            in,
                                            definitionLevels);
                                }
                                startValues(v1.getValueEncoding(), count, in);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                            return null;
                        }

                        @Override
                        public Void visit(DataPageV2 v2) {
                            try {
                                int count = v2.getValueCount();
                                levels(
                                        maxRepetition > 0 ? bytes(v2.getRepetitionLevels()) : null,
                                        maxDefinition > 0 ? bytes(v2.getDefinitionLevels()) : null,
                                        count);
                                startValues(
                                        v2.getDataEncoding(),
                                        v2.getValueCount(),
                                        v2.getData().toInputStream());
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                            return null;
                        }
                    });
        } catch (UncheckedIOException e) {
            throw new DatasetException(
                    "cannot read a page of column " + descriptor + ": " + e.getCause().getMessage(),
                    e.getCause());
        }
    }

    private void startValues(Encoding encoding, int count, ByteBufferInputStream in)
            throws IOException {
        if (encoding == Encoding.PLAIN) {
            plain = in.slice(in.available()).order(ByteOrder.LITTLE_ENDIAN);
            values = null;
            return;
        }
        plain = null;
        if (encoding.usesDictionary()) {
            if (dictionary == null) {
                throw new DatasetException(
                        "column "
                                + descriptor
                                + " has a dictionary-encoded page but"
                                + " no dictionary page");
            }
            values =
                    encoding.getDictionaryBasedValuesReader(
                            descriptor, ValuesType.VALUES, dictionary);
        } else {
            values = encoding.getValuesReader(descriptor, ValuesType.VALUES);
        }
        values.initFromPage(count, in);
    }

    private static ByteBuffer bytes(BytesInput input) throws IOException {
        ByteBufferInputStream in = input.toInputStream();
        return in.slice(in.available());
    }

    /**
     * Takes a page's RLE-encoded levels ({@code null} where the column has none): kept compact when
     * the page has no nulls and no nested lists, else expanded a level per value.
     */
    private void levels(ByteBuffer rep, ByteBuffer def, int count) {
        compact =
                maxRepetition <= 1
                        && (def == null
                                || Levels.allEqual(
                                        def,
                                        BytesUtils.getWidthFromMaxInt(maxDefinition),
                                        count,
                                        maxDefinition));
        if (compact) {
            if (rep != null) {
                if (rowStarts.length < count) {
                    rowStarts = new int[count];
                }
                startCount = Levels.rowStarts(rep, count, rowStarts);
            } else {
                startCount = 0;
            }
            startCursor = 0;
            return;
        }
        allocateLevels(count);
        if (rep != null) {
            Levels.decodeHybrid(
                    rep, BytesUtils.getWidthFromMaxInt(maxRepetition), count, repetitionLevels);
        }
        if (def != null) {
            Levels.decodeHybrid(
                    def, BytesUtils.getWidthFromMaxInt(maxDefinition), count, definitionLevels);
        }
    }

    private void allocateLevels(int count) {
        if (maxRepetition > 0 && repetitionLevels.length < count) {
            repetitionLevels = new int[count];
        }
        if (maxDefinition > 0 && definitionLevels.length < count) {
            definitionLevels = new int[count];
        }
    }

    /** The next section of a V1 page: a 4-byte little-endian length and that many bytes. */
    private static ByteBuffer lengthPrefixed(ByteBufferInputStream in) throws IOException {
        int length = in.slice(4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        return in.slice(length).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Decodes a V1 page's levels in an encoding other than RLE (the deprecated BIT_PACKED). */
    private void levels(
            Encoding encoding,
            ValuesType type,
            int maxLevel,
            int count,
            ByteBufferInputStream in,
            int[] out)
            throws IOException {
        if (encoding == Encoding.RLE) {
            Levels.decodeHybrid(
                    lengthPrefixed(in), BytesUtils.getWidthFromMaxInt(maxLevel), count, out);
            return;
        }
        ValuesReader reader = encoding.getValuesReader(descriptor, type);
        reader.initFromPage(count, in);
        for (int i = 0; i < count; i++) {
            out[i] = reader.readInteger();
        }
    }
}
