package io.rayzerocopy.internal.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.ParquetWriteOptions;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

/**
 * Numeric columns written a page at a time ({@link NumericPageWriter}) against the same data
 * written by parquet-mr's own writer: the same records and the same statistics per column chunk,
 * over nulls, empty and null lists, null elements, NaN and both zeros, across several pages.
 */
class NumericPageWriterTest {
    private static final MessageType SCHEMA =
            MessageTypeParser.parseMessageType(
                    """
                    message numbers {
                      optional int32 i;
                      required int64 l;
                      optional float f;
                      optional double d;
                      required float z;
                      optional group fl (LIST) { repeated group list { optional float element; } }
                      required group dl (LIST) { repeated group list { required double element; } }
                    }
                    """);

    /** More rows than a page holds ({@link NumericPageWriter#PAGE_ROWS}). */
    private static final int ROWS = 45_000;

    @TempDir Path dir;
    private BufferAllocator allocator;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        allocator.close();
    }

    @Test
    void pagesHoldWhatParquetMrsWriterWritesWithTheSameStatistics() throws Exception {
        Path reference = dir.resolve("reference.parquet");
        writeWithParquetMr(reference);
        Path out = dir.resolve("out");
        try (ParquetSink sink =
                        ParquetSink.create(
                                out.toString(), ParquetWriteOptions.builder().rowsPerRowGroup(ROWS).build());
                BatchReader reader =
                        ParquetSource.of(List.of(reference.toString())).open(allocator, 4096)) {
            for (SourceBatch next = reader.next(); next != null; next = reader.next()) {
                try (SourceBatch batch = next) {
                    sink.write(batch.root());
                }
            }
            sink.commit();
        }
        Path ours = out.resolve("part-00000.parquet");

        List<Group> expected = ParquetFixtures.readWithParquetMr(reference);
        List<Group> actual = ParquetFixtures.readWithParquetMr(ours);
        assertEquals(ROWS, actual.size());
        for (int r = 0; r < ROWS; r++) {
            assertEquals(expected.get(r).toString(), actual.get(r).toString(), "row " + r);
        }
        List<ColumnChunkMetaData> theirs = onlyRowGroup(reference).getColumns();
        List<ColumnChunkMetaData> mine = onlyRowGroup(ours).getColumns();
        assertEquals(theirs.size(), mine.size());
        for (int c = 0; c < theirs.size(); c++) {
            Statistics<?> a = theirs.get(c).getStatistics();
            Statistics<?> b = mine.get(c).getStatistics();
            String column = theirs.get(c).getPath().toDotString();
            assertEquals(a.getNumNulls(), b.getNumNulls(), column + " nulls");
            assertEquals(a.hasNonNullValue(), b.hasNonNullValue(), column);
            assertEquals(a.minAsString(), b.minAsString(), column + " min");
            assertEquals(a.maxAsString(), b.maxAsString(), column + " max");
            assertEquals(theirs.get(c).getValueCount(), mine.get(c).getValueCount(), column);
        }
        try (ParquetFileReader reader =
                ParquetFileReader.open(
                        new LocalInputFile(ours), ParquetReadOptions.builder().build())) {
            ColumnChunkMetaData dl = reader.getRowGroups().get(0).getColumns().get(6);
            int pages = reader.readOffsetIndex(dl).getPageCount();
            assertTrue(pages >= 3, "45,000 rows in pages of 20,000 rows at most: " + pages);
        }
    }

    private static BlockMetaData onlyRowGroup(Path file) throws Exception {
        try (ParquetFileReader reader =
                ParquetFileReader.open(
                        new LocalInputFile(file), ParquetReadOptions.builder().build())) {
            assertEquals(1, reader.getRowGroups().size(), file.toString());
            return reader.getRowGroups().get(0);
        }
    }

    private static void writeWithParquetMr(Path file) throws Exception {
        SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
        try (ParquetWriter<Group> writer =
                ExampleParquetWriter.builder(new LocalOutputFile(file))
                        .withType(SCHEMA)
                        .withRowGroupSize(1L << 30)
                        .withDictionaryEncoding(false)
                        .build()) {
            for (int r = 0; r < ROWS; r++) {
                Group g = groups.newGroup();
                if (r % 7 != 3) {
                    g.add("i", r * 3 - 50_000);
                }
                g.add("l", (r * 1_000_003L) ^ ((long) r << 20));
                if (r % 11 != 0) {
                    g.add("f", special(r, (r - 20_000) * 0.37f));
                }
                if (r % 5 != 0) {
                    g.add("d", r == 40_000 ? -0.0 : Math.sin(r) * 1e6);
                }
                // Zeros of both signs at the minimum.
                g.add("z", r % 3 == 0 ? -0.0f : r % 3 == 1 ? 0.0f : r);
                if (r % 9 != 4) {
                    Group list = g.addGroup("fl");
                    for (int j = 0; j < r % 4; j++) {
                        Group element = list.addGroup("list");
                        if ((r + j) % 6 != 0) {
                            element.add("element", special(r + j, r - j * 0.5f));
                        }
                    }
                }
                Group dl = g.addGroup("dl");
                for (int j = 0; j < 3; j++) {
                    dl.addGroup("list").add("element", r * 10.0 + j);
                }
                writer.write(g);
            }
        }
    }

    /** NaN, -0.0 and 0.0 now and then, else {@code value}. */
    private static float special(int r, float value) {
        if (r % 13 == 1) {
            return Float.NaN;
        }
        if (r % 17 == 2) {
            return -0.0f;
        }
        if (r % 19 == 3) {
            return 0.0f;
        }
        return value;
    }
}
