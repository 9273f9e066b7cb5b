package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import io.rayzerocopy.internal.data.StagingArea;
import io.rayzerocopy.internal.storage.MiniHdfs;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Jobs reading and writing a real HDFS (a NameNode and two DataNodes in this JVM): the output
 * appears whole on commit with a {@code _SUCCESS} manifest, a failed job leaves it as it was, and a
 * resumed job commits every row once.
 */
class HdfsJobTest {
    private static final int FILES = 6;
    private static final int ROWS_PER_FILE = 100;

    @TempDir static Path dir;
    private static MiniHdfs hdfs;
    private static String input;

    @BeforeAll
    static void start() throws Exception {
        hdfs = MiniHdfs.start(dir.resolve("hdfs"));
        input = hdfs.uri() + "/data/in";
        Dataset.fromItems(DatasetTest.items(FILES * ROWS_PER_FILE))
                .select("id", "x")
                .writeParquet(input, ParquetWriteOptions.builder().rowsPerFile(ROWS_PER_FILE).build());
    }

    @AfterAll
    static void stop() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    private static Dataset job(Path flag) {
        return job(input, flag);
    }

    /**
     * The test job over {@code input}: 2 actors, in order, failing while {@code flag} exists
     * (also {@link S3JobTest}'s).
     */
    static Dataset job(String input, Path flag) {
        return Dataset.readParquet(input)
                .mapBatches(
                        ResumeTest.FailWhileFlagged.class,
                        List.of(flag.toString()),
                        20,
                        ActorPoolStrategy.size(2))
                .withOptions(ExecutionOptions.builder().preserveOrder(true).build());
    }

    @Test
    void aJobWritesItsOutputToHdfsWithASuccessManifest() throws Exception {
        String out = hdfs.uri() + "/data/scores";
        WriteResult result = job(dir.resolve("no-flag")).writeParquet(out);

        assertEquals(FILES * ROWS_PER_FILE, result.rowsWritten());
        assertEquals(out, result.directory());
        assertEquals(out + "/part-00000.parquet", result.files().get(0));
        assertEachRowOnce(out);
        FileSystem fs = hdfs.client();
        JsonObject success;
        try (InputStream in = fs.open(new org.apache.hadoop.fs.Path("/data/scores/_SUCCESS"))) {
            success =
                    JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                            .getAsJsonObject();
        }
        assertEquals(
                FILES * ROWS_PER_FILE, success.getAsJsonObject("metrics").get("rows").getAsLong());
        assertEquals(FILES, success.getAsJsonArray("filenames").size());
        assertEquals(List.of("in", "scores"), names(fs, "/data"), "no staging directory is left");
    }

    @Test
    void aFailedJobLeavesTheOutputAsItWasAndAResumeCommitsEveryRowOnce() throws Exception {
        String out = hdfs.uri() + "/data/resumed";
        Path flag = Files.createFile(dir.resolve("flag"));
        ParquetWriteOptions resume = ParquetWriteOptions.builder().resume(true).build();
        DatasetException failed =
                assertThrows(DatasetException.class, () -> job(flag).writeParquet(out, resume));
        assertTrue(failed.getMessage().contains("flagged at id 4"), failed.getMessage());
        FileSystem fs = hdfs.client();
        assertFalse(fs.exists(new org.apache.hadoop.fs.Path("/data/resumed")));
        List<StagingArea.Leftover> kept = StagingArea.leftovers(out);
        assertEquals(1, kept.size(), kept.toString());
        assertTrue(kept.get(0).committedSplits() >= 1, kept.toString());

        Files.delete(flag);
        WriteResult resumed = job(flag).writeParquet(out, resume);

        assertEquals(kept.get(0).committedSplits(), resumed.skippedSplits());
        assertEquals(FILES * ROWS_PER_FILE, resumed.rowsWritten());
        assertEachRowOnce(out);
        assertEquals(List.of(), StagingArea.leftovers(out));
    }

    @Test
    void overwriteReplacesAnHdfsOutputOnlyWhenTheJobSucceeds() throws Exception {
        String out = hdfs.uri() + "/data/replaced";
        FileSystem fs = hdfs.client();
        fs.mkdirs(new org.apache.hadoop.fs.Path("/data/replaced"));
        fs.create(new org.apache.hadoop.fs.Path("/data/replaced/old.txt")).close();
        IllegalArgumentException exists =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> job(dir.resolve("none")).writeParquet(out));
        assertTrue(exists.getMessage().contains("already exists and is not empty"));

        Path flag = Files.createFile(dir.resolve("flag-overwrite"));
        assertThrows(
                DatasetException.class,
                () -> job(flag).writeParquet(out, ParquetWriteOptions.overwrite()));
        assertEquals(List.of("old.txt"), names(fs, "/data/replaced"), "the old output is kept");

        Files.delete(flag);
        job(flag).writeParquet(out, ParquetWriteOptions.overwrite());
        assertEachRowOnce(out);
        assertFalse(fs.exists(new org.apache.hadoop.fs.Path("/data/replaced/old.txt")));
        assertEquals(List.of("replaced", "in"), withoutOthers(names(fs, "/data")));
    }

    private static List<String> withoutOthers(List<String> names) {
        List<String> kept = new ArrayList<>(names);
        kept.removeIf(n -> !n.equals("replaced") && !n.equals("in") && !n.startsWith("."));
        kept.sort((a, b) -> b.compareTo(a));
        return kept;
    }

    @Test
    void partitionedTablesAreWrittenReadAndPrunedOnHdfs() throws Exception {
        String table = hdfs.uri() + "/parts/in";
        List<Map<String, Object>> items = new ArrayList<>();
        for (long id = 0; id < 30; id++) {
            items.add(Map.of("id", id, "date", PartitionedParquetTest.DATES.get((int) id / 10)));
        }
        WriteResult written =
                Dataset.fromItems(items)
                        .writeParquet(table, ParquetWriteOptions.builder().partitionBy("date").build());
        assertEquals(table + "/date=2026-11-30/part-00000.parquet", written.files().get(0));
        assertEquals(
                List.of("_SUCCESS", "date=2026-11-30", "date=2026-12-01", "date=2026-12-02"),
                names(hdfs.client(), "/parts/in"));

        List<Map<String, Object>> december =
                Dataset.readParquet(
                                ParquetReadOptions.builder().where("date >= '2026-12-01'").build(),
                                table)
                        .take(100);
        assertEquals(20, december.size());
        for (Map<String, Object> row : december) {
            long id = (Long) row.get("id");
            assertTrue(id >= 10, "row " + id + " of a pruned partition");
            assertEquals(
                    java.time.LocalDate.parse(PartitionedParquetTest.DATES.get((int) id / 10)),
                    row.get("date"));
        }
        assertEquals(10, Dataset.readParquet(table + "/date=2026-12-02*").count());
        assertEquals(
                "Date(DAY)",
                Dataset.readParquet(table + "/date=*").schema().findField("date").getType().toString());
    }

    /** Asserts that {@code out} holds the test job's 600 rows, each once, in order. */
    static void assertEachRowOnce(String out) {
        List<Map<String, Object>> rows = Dataset.readParquet(out).take(10_000);
        assertEquals(FILES * ROWS_PER_FILE, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(Map.of("id", (long) i, "y", (double) i), rows.get(i), "row " + i);
        }
    }

    private static List<String> names(FileSystem fs, String dir) throws Exception {
        return Arrays.stream(fs.listStatus(new org.apache.hadoop.fs.Path(dir)))
                .map(FileStatus::getPath)
                .map(org.apache.hadoop.fs.Path::getName)
                .sorted()
                .toList();
    }
}
