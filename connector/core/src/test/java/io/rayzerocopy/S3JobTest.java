package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import io.rayzerocopy.internal.data.StagingArea;
import io.rayzerocopy.internal.storage.S3Server;
import io.rayzerocopy.internal.storage.Storage;

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
import java.util.List;

/**
 * Jobs reading and writing a real S3 API (S3Proxy, through S3A): the output appears only when the
 * job commits (its part files pending multipart uploads until then, nothing renamed) with a {@code
 * _SUCCESS} manifest, a failed job leaves the output as it was, and a resumed job commits every
 * row once.
 */
class S3JobTest {
    private static final int FILES = 6;
    private static final int ROWS_PER_FILE = 100;

    @TempDir static Path dir;
    private static S3Server s3;
    private static String bucket;
    private static String input;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Server.start(dir.resolve("s3"));
        Storage.configure(s3.settings());
        bucket = s3.createBucket("jobs");
        input = bucket + "/data/in";
        Dataset.fromItems(DatasetTest.items(FILES * ROWS_PER_FILE))
                .select("id", "x")
                .writeParquet(input, ParquetWriteOptions.builder().rowsPerFile(ROWS_PER_FILE).build());
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
    }

    private static Dataset job(Path flag) {
        return HdfsJobTest.job(input, flag);
    }

    @Test
    void aJobWritesItsOutputToS3WithASuccessManifest() throws Exception {
        String out = bucket + "/data/scores";
        WriteResult result = job(dir.resolve("no-flag")).writeParquet(out);

        assertEquals(FILES * ROWS_PER_FILE, result.rowsWritten());
        assertEquals(out, result.directory());
        assertEquals(out + "/part-00000-00000.parquet", result.files().get(0));
        assertEachRowOnce(out);
        JsonObject success = success(out);
        assertEquals("rzc-s3a-magic", success.get("committer").getAsString());
        assertEquals(
                FILES * ROWS_PER_FILE, success.getAsJsonObject("metrics").get("rows").getAsLong());
        assertEquals(FILES, success.getAsJsonArray("filenames").size());
        assertFalse(success.toString().contains(S3Server.SECRET_KEY));
        assertEquals(
                outputObjects("scores"),
                around("scores"),
                "the part files and _SUCCESS only: no staging or pending object is left");
    }

    @Test
    void aFailedJobLeavesTheOutputAbsentAndAResumeCommitsEveryRowOnce() throws Exception {
        String out = bucket + "/data/resumed";
        Path flag = Files.createFile(dir.resolve("flag"));
        ParquetWriteOptions resume = ParquetWriteOptions.builder().resume(true).build();
        DatasetException failed =
                assertThrows(DatasetException.class, () -> job(flag).writeParquet(out, resume));
        assertTrue(failed.getMessage().contains("flagged at id 4"), failed.getMessage());
        assertEquals(
                List.of(),
                objects("data/resumed", "data/resumed/__magic_job-"),
                "no object of the output is visible (only the records of the pending uploads of"
                        + " a resumable job, under a name readers skip)");
        List<StagingArea.Leftover> kept = StagingArea.leftovers(out);
        assertEquals(1, kept.size(), kept.toString());
        assertTrue(kept.get(0).committedSplits() >= 1, kept.toString());

        Files.delete(flag);
        WriteResult resumed = job(flag).writeParquet(out, resume);

        assertEquals(kept.get(0).committedSplits(), resumed.skippedSplits());
        assertEquals(FILES * ROWS_PER_FILE, resumed.rowsWritten());
        assertEachRowOnce(out);
        assertEquals(List.of(), StagingArea.leftovers(out));
        assertEquals(outputObjects("resumed"), around("resumed"));
    }

    @Test
    void overwriteReplacesAnS3OutputOnlyWhenTheJobSucceeds() throws Exception {
        String out = bucket + "/data/replaced";
        FileSystem fs = Storage.fileSystem(out);
        fs.create(new org.apache.hadoop.fs.Path(out + "/old.txt")).close();
        IllegalArgumentException exists =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> job(dir.resolve("none")).writeParquet(out));
        assertTrue(exists.getMessage().contains("already exists and is not empty"));

        Path flag = Files.createFile(dir.resolve("flag-overwrite"));
        assertThrows(
                DatasetException.class,
                () -> job(flag).writeParquet(out, ParquetWriteOptions.overwrite()));
        assertEquals(
                List.of("data/replaced/old.txt"),
                objects("data/replaced", ""),
                "the old output is kept");

        Files.delete(flag);
        job(flag).writeParquet(out, ParquetWriteOptions.overwrite());
        assertEachRowOnce(out);
        assertFalse(fs.exists(new org.apache.hadoop.fs.Path(out + "/old.txt")));
    }

    /** The objects under {@code prefix} in the bucket, except those starting with {@code but}. */
    private static List<String> objects(String prefix, String but) throws Exception {
        return s3.objects("jobs", prefix).stream()
                .filter(k -> but.isEmpty() || !k.startsWith(but))
                .toList();
    }

    /** The objects of output {@code data/<name>} and of its staging directories. */
    private static List<String> around(String name) throws Exception {
        return s3.objects("jobs", "data/").stream()
                .filter(k -> k.startsWith("data/" + name + "/") || k.startsWith("data/." + name))
                .toList();
    }

    /** The objects a committed output {@code data/<name>} of this test's job consists of. */
    private static List<String> outputObjects(String name) {
        List<String> keys = new ArrayList<>();
        keys.add("data/" + name + "/_SUCCESS");
        for (int i = 0; i < FILES; i++) {
            keys.add(String.format("data/%s/part-%05d-00000.parquet", name, i));
        }
        keys.sort(null);
        return keys;
    }

    private static JsonObject success(String out) throws Exception {
        FileSystem fs = Storage.fileSystem(out);
        try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(out + "/_SUCCESS"))) {
            return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .getAsJsonObject();
        }
    }

    private static void assertEachRowOnce(String out) {
        HdfsJobTest.assertEachRowOnce(out);
    }

}
