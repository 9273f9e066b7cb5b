package io.rayzerocopy.internal.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.DatasetException;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.column.ParquetProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

class ParquetSourceTest {
    @TempDir Path dir;
    private BufferAllocator allocator;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        allocator.close(); // fails the test if any batch leaked
    }

    @ParameterizedTest
    @CsvSource({
        "PARQUET_1_0, true",
        "PARQUET_1_0, false",
        "PARQUET_2_0, true",
        "PARQUET_2_0, false"
    })
    void readsEveryTypeWithNullsAcrossRowGroupsAndBatches(
            ParquetProperties.WriterVersion version, boolean dictionary) throws Exception {
        Path file = dir.resolve("all.parquet");
        ParquetFixtures.writeAllTypes(file, 250, version, dictionary);
        List<RowRange> ranges = new ArrayList<>();

        List<List<Object>> rows =
                ArrowTestRows.readAll(
                        ParquetSource.of(List.of(file.toString())), allocator, 64, ranges);

        assertEquals(250, rows.size());
        for (int r = 0; r < 250; r++) {
            assertEquals(ParquetFixtures.expectedRow(r), rows.get(r), "row " + r);
        }
        assertEquals(
                List.of(
                        new RowRange(file.toString(), 0, 64),
                        new RowRange(file.toString(), 64, 64),
                        new RowRange(file.toString(), 128, 64),
                        new RowRange(file.toString(), 192, 58)),
                ranges);
    }

    @Test
    void mapsParquetTypesToArrowTypes() throws Exception {
        Path file = dir.resolve("all.parquet");
        ParquetFixtures.writeAllTypes(file, 3);
        Schema schema = ParquetSource.of(List.of(file.toString())).schema();

        assertEquals(
                List.of("i", "l", "f", "d", "b", "s", "raw", "fl", "dl"),
                schema.getFields().stream().map(f -> f.getName()).toList());
        assertEquals(new ArrowType.Int(32, true), schema.findField("i").getType());
        assertEquals(false, schema.findField("i").isNullable());
        assertEquals(true, schema.findField("l").isNullable());
        assertEquals(ArrowType.Utf8.INSTANCE, schema.findField("s").getType());
        assertEquals(ArrowType.Binary.INSTANCE, schema.findField("raw").getType());
        assertInstanceOf(ArrowType.List.class, schema.findField("fl").getType());
        assertInstanceOf(
                ArrowType.List.class,
                schema.findField("dl").getType(),
                "a foreign LIST without our metadata stays a variable list");
    }

    @Test
    void projectsColumnsInTheRequestedOrder() throws Exception {
        Path file = dir.resolve("all.parquet");
        ParquetFixtures.writeAllTypes(file, 10);
        ParquetSource source = ParquetSource.of(List.of(file.toString())).select(List.of("s", "i"));

        List<List<Object>> rows = ArrowTestRows.readAll(source, allocator, 4, new ArrayList<>());

        assertEquals(
                List.of("s", "i"),
                source.schema().getFields().stream().map(f -> f.getName()).toList());
        assertEquals(List.of("row-1", 1), rows.get(1));
        assertEquals(java.util.Arrays.asList(null, 3), rows.get(3));
    }

    @Test
    void missingColumnIsNamedWithTheColumnsThatExist() throws Exception {
        Path file = dir.resolve("all.parquet");
        ParquetFixtures.writeAllTypes(file, 2);
        ParquetSource source =
                ParquetSource.of(List.of(file.toString())).select(List.of("i", "nope"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, source::schema);

        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
        assertTrue(e.getMessage().contains("i, l, f, d, b, s, raw, fl, dl"), e.getMessage());
    }

    @Test
    void corruptFileIsNamed() throws Exception {
        Path good = dir.resolve("a.parquet");
        ParquetFixtures.writeAllTypes(good, 5);
        Path bad = dir.resolve("b.parquet");
        Files.write(bad, "this is not parquet, just bytes that are long enough".getBytes());

        DatasetException e =
                assertThrows(
                        DatasetException.class,
                        () ->
                                ArrowTestRows.readAll(
                                        ParquetSource.of(List.of(dir.toString())),
                                        allocator,
                                        100,
                                        new ArrayList<>()));

        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    }

    @Test
    void truncatedFileIsNamed() throws Exception {
        Path file = dir.resolve("t.parquet");
        ParquetFixtures.writeAllTypes(file, 200);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 3] ^= 0x5a;
        bytes[bytes.length / 3 + 1] ^= 0x5a;
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 20));

        DatasetException e =
                assertThrows(
                        DatasetException.class,
                        () ->
                                ArrowTestRows.readAll(
                                        ParquetSource.of(List.of(file.toString())),
                                        allocator,
                                        100,
                                        new ArrayList<>()));

        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void readsDirectoriesRecursivelyAndGlobsSkippingHiddenFiles() throws Exception {
        Files.createDirectories(dir.resolve("data/sub"));
        Files.createDirectories(dir.resolve("data/_errors"));
        ParquetFixtures.writeAllTypes(dir.resolve("data/p1.parquet"), 3);
        ParquetFixtures.writeAllTypes(dir.resolve("data/sub/p2.parquet"), 4);
        ParquetFixtures.writeAllTypes(dir.resolve("data/_errors/p3.parquet"), 5);
        Files.writeString(dir.resolve("data/.p4.crc"), "x");
        Files.writeString(dir.resolve("data/_SUCCESS"), "");

        ParquetSource recursive = ParquetSource.of(List.of(dir.resolve("data").toString()));
        ParquetSource glob = ParquetSource.of(List.of(dir + "/data/*.parquet"));
        ParquetSource deepGlob = ParquetSource.of(List.of(dir + "/data/**/*.parquet"));

        assertEquals(
                List.of(
                        dir.resolve("data/p1.parquet").toString(),
                        dir.resolve("data/sub/p2.parquet").toString()),
                recursive.files());
        assertEquals(7L, recursive.rowCount().getAsLong());
        assertEquals(List.of(dir.resolve("data/p1.parquet").toString()), glob.files());
        assertEquals(List.of(dir.resolve("data/sub/p2.parquet").toString()), deepGlob.files());
        List<RowRange> ranges = new ArrayList<>();
        assertEquals(7, ArrowTestRows.readAll(recursive, allocator, 100, ranges).size());
        assertEquals(2, ranges.size(), "a batch never spans two files");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ParquetSource.of(List.of(dir + "/nothing/*.parquet")).files());
        assertTrue(e.getMessage().contains("no Parquet files"), e.getMessage());
    }

    @Test
    void filesWithoutRowsGiveNoBatchUnlessNoFileHasRows() throws Exception {
        Path data = Files.createDirectories(dir.resolve("spark-out"));
        ParquetFixtures.writeFeatures(data.resolve("part-0.parquet"), 0, new float[0][]);
        ParquetFixtures.writeFeatures(data.resolve("part-1.parquet"), 0, new float[3][8]);
        ParquetFixtures.writeFeatures(data.resolve("part-2.parquet"), 3, new float[0][]);
        ParquetSource source = ParquetSource.of(List.of(data.toString()));

        List<RowRange> ranges = new ArrayList<>();
        assertEquals(3, ArrowTestRows.readAll(source, allocator, 2, ranges).size());

        String nonEmpty = data.resolve("part-1.parquet").toString();
        assertEquals(List.of(new RowRange(nonEmpty, 0, 2), new RowRange(nonEmpty, 2, 1)), ranges);
        assertEquals(2, source.batchCount(2).getAsLong());

        Path empty = data.resolve("part-2.parquet");
        ParquetSource onlyEmpty = ParquetSource.of(List.of(empty.toString()));
        try (BatchReader reader = onlyEmpty.open(allocator, 2);
                SourceBatch batch = reader.next()) {
            assertEquals(
                    new RowRange(empty.toString(), 0, 0),
                    batch.range(),
                    "an input without rows gives one empty batch, so the output gets a schema");
            assertEquals(null, reader.next());
        }
        assertEquals(1, onlyEmpty.batchCount(2).getAsLong());
    }

    @Test
    void listColumnsOfAnotherWidthInAnotherFileAreRefusedFromTheFooters() throws Exception {
        Path data = Files.createDirectories(dir.resolve("widths"));
        ParquetFixtures.writeFeatures(data.resolve("a.parquet"), 0, new float[3][128]);
        ParquetFixtures.writeFeatures(data.resolve("b.parquet"), 0, new float[0][]);
        ParquetFixtures.writeFeatures(data.resolve("c.parquet"), 0, new float[2][64]);
        float[][] ragged = {new float[64], new float[65]};
        ParquetFixtures.writeFeatures(data.resolve("d.parquet"), 0, ragged);

        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ParquetSource.of(List.of(data.toString())).rowCount());

        assertEquals(
                "column 'features' has 128 values per row in "
                        + data.resolve("a.parquet")
                        + " but 64 in "
                        + data.resolve("c.parquet")
                        + ": a model takes one width; give files of one width, or read them in"
                        + " separate jobs",
                e.getMessage());
        Files.delete(data.resolve("c.parquet"));
        assertEquals(
                5L,
                ParquetSource.of(List.of(data.toString())).rowCount().getAsLong(),
                "a file of mixed widths is left to the batches that hold them");
        assertEquals(
                5L,
                ParquetSource.of(List.of(data.toString())).select(List.of("id")).rowCount()
                        .getAsLong(),
                "columns not read are not checked");
    }

    @Test
    void filesThatAreNotParquetAreSkippedInDirectoriesAndGlobsButNotWhenNamed() throws Exception {
        Path data = Files.createDirectories(dir.resolve("hive"));
        ParquetFixtures.writeAllTypes(data.resolve("000000_0"), 3);
        ParquetFixtures.writeAllTypes(data.resolve("p.parquet"), 4);
        Files.writeString(data.resolve("README.txt"), "how these files were made");
        Files.writeString(data.resolve("broken.parquet"), "a damaged part file, long enough");

        ParquetSource directory = ParquetSource.of(List.of(data.toString()));
        ParquetSource glob = ParquetSource.of(List.of(data + "/*"));

        List<String> expected =
                List.of(
                        data.resolve("000000_0").toString(),
                        data.resolve("broken.parquet").toString(),
                        data.resolve("p.parquet").toString());
        assertEquals(expected, directory.files());
        assertEquals(expected, glob.files());
        Files.delete(data.resolve("broken.parquet"));
        assertEquals(7, ArrowTestRows.readAll(directory, allocator, 100, new ArrayList<>()).size());
        DatasetException named =
                assertThrows(
                        DatasetException.class,
                        () ->
                                ParquetSource.of(List.of(data.resolve("README.txt").toString()))
                                        .rowCount());
        assertTrue(named.getMessage().contains(data.resolve("README.txt").toString()));
        IllegalArgumentException nothing =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ParquetSource.of(List.of(data + "/*.txt")).files());
        assertTrue(
                nothing.getMessage().contains("files that are not Parquet: ["
                        + data.resolve("README.txt") + "]"),
                nothing.getMessage());
    }

    @Test
    void aFileTooShortForParquetIsNamedInTheMessage() throws Exception {
        Path notes = Files.writeString(dir.resolve("notes.txt"), "hi\n");

        DatasetException e =
                assertThrows(
                        DatasetException.class,
                        () -> ParquetSource.of(List.of(notes.toString())).rowCount());

        assertEquals(
                "cannot read Parquet file "
                        + notes
                        + ": notes.txt is not a Parquet file (length is too low: 3)",
                e.getMessage());
    }
}
