package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.internal.data.StagingArea;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Jobs over Parquet files resumed file by file (the splits): a run that failed with resume keeps
 * its committed files; the next run reads only the others and commits output identical to an
 * uninterrupted run. A changed job is refused naming what changed; without resume, what dead runs
 * left is removed.
 */
class ResumeTest {
    private static final int FILES = 6;
    private static final int ROWS_PER_FILE = 100;

    @TempDir Path dir;
    private Path input;
    private Path flag;

    /** Keeps id and puts y = 2x; fails on ids from 400 on while the flag file exists. */
    public static final class FailWhileFlagged implements BatchFn {
        private final Path flag;

        public FailWhileFlagged(String flag) {
            this.flag = Path.of(flag);
        }

        @Override
        public VectorSchemaRoot call(Batch batch) {
            BigIntVector ids = (BigIntVector) batch.root().getVector("id");
            Float8Vector x = (Float8Vector) batch.root().getVector("x");
            Float8Vector y = new Float8Vector("y", batch.allocator());
            y.allocateNew(batch.rowCount());
            for (int r = 0; r < batch.rowCount(); r++) {
                if (ids.get(r) >= 400 && Files.exists(flag)) {
                    y.close();
                    throw new IllegalStateException("flagged at id " + ids.get(r));
                }
                y.set(r, 2 * x.get(r));
            }
            y.setValueCount(batch.rowCount());
            return batch.output().keep("id").put("y", y).build();
        }
    }

    @BeforeEach
    void writeInput() throws Exception {
        input = dir.resolve("in");
        Dataset.fromItems(DatasetTest.items(FILES * ROWS_PER_FILE))
                .select("id", "x")
                .writeParquet(
                        input.toString(),
                        ParquetWriteOptions.builder().rowsPerFile(ROWS_PER_FILE).build());
        flag = Files.createFile(dir.resolve("flag"));
    }

    private Dataset job(int batchSize) {
        return Dataset.readParquet(input.toString())
                .mapBatches(
                        FailWhileFlagged.class,
                        List.of(flag.toString()),
                        batchSize,
                        ActorPoolStrategy.size(2))
                .withOptions(ExecutionOptions.builder().preserveOrder(true).build());
    }

    private static ParquetWriteOptions resume() {
        return ParquetWriteOptions.builder().resume(true).build();
    }

    /** Runs the job with resume until it fails on the flagged rows; returns the kept directory. */
    private StagingArea.Leftover failedRun(Path out) {
        DatasetException e =
                assertThrows(
                        DatasetException.class,
                        () -> job(20).writeParquet(out.toString(), resume()));
        assertTrue(e.getMessage().contains("flagged at id 4"), e.getMessage());
        assertFalse(Files.exists(out));
        List<StagingArea.Leftover> left = StagingArea.leftovers(out.toString());
        assertEquals(1, left.size(), "the committed files are kept for a resume: " + left);
        StagingArea.Leftover kept = left.get(0);
        assertFalse(kept.alive(), "no process works on it any more");
        assertTrue(
                kept.committedSplits() >= 1 && kept.committedSplits() <= 4,
                "files before the failing one are committed: " + kept);
        return kept;
    }

    @Test
    void aResumedRunReadsOnlyTheFilesNotDoneAndWritesWhatAnUninterruptedRunWrites()
            throws Exception {
        Path out = dir.resolve("out");
        StagingArea.Leftover kept = failedRun(out);
        Files.delete(flag);

        WriteResult resumed = job(20).writeParquet(out.toString(), resume());

        int skipped = kept.committedSplits();
        assertEquals(skipped, resumed.skippedSplits());
        assertEquals(skipped * ROWS_PER_FILE, resumed.resumedRows());
        assertEquals(
                (FILES - skipped) * ROWS_PER_FILE,
                resumed.stats().inputRows(),
                "only the files not committed are read");
        assertEquals(FILES * ROWS_PER_FILE, resumed.rowsWritten());
        assertEquals(
                List.of(), StagingArea.leftovers(out.toString()), "no staging directory is left");

        Path reference = dir.resolve("reference");
        WriteResult uninterrupted = job(20).writeParquet(reference.toString());
        assertEquals(0, uninterrupted.skippedSplits());
        assertEquals(names(uninterrupted.files()), names(resumed.files()));
        for (int i = 0; i < FILES; i++) {
            assertEquals(
                    rows(uninterrupted.files().get(i)),
                    rows(resumed.files().get(i)),
                    "file " + i + " holds the same rows in the same order");
        }
        List<Map<String, Object>> all = Dataset.readParquet(out.toString()).take(10_000);
        assertEquals(FILES * ROWS_PER_FILE, all.size());
        for (int i = 0; i < all.size(); i++) {
            assertEquals(Map.of("id", (long) i, "y", (double) i), all.get(i), "each row once");
        }
    }

    @Test
    void aChangedJobIsRefusedNamingWhatChangedAndANewRunRemovesWhatTheDeadOneLeft()
            throws Exception {
        Path out = dir.resolve("out");
        StagingArea.Leftover kept = failedRun(out);
        Files.delete(flag);

        IllegalArgumentException batchSize =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> job(25).writeParquet(out.toString(), resume()));
        assertTrue(
                batchSize.getMessage().contains("map1(FailWhileFlagged) batch size was 20, now 25"),
                batchSize.getMessage());
        assertTrue(batchSize.getMessage().contains(kept.directory().toString()));

        Path file = input.resolve("part-00003.parquet");
        Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
        IllegalArgumentException touched =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> job(20).writeParquet(out.toString(), resume()));
        assertTrue(
                touched.getMessage().contains("input " + file + " was size="),
                touched.getMessage());
        assertTrue(touched.getMessage().contains("2020-01-01T00:00:00Z"), touched.getMessage());

        IllegalArgumentException compression =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                job(20).writeParquet(
                                                out.toString(),
                                                resume().toBuilder()
                                                        .compression(
                                                                ParquetWriteOptions.Compression
                                                                        .ZSTD)
                                                        .build()));
        assertTrue(compression.getMessage().contains("compression=ZSTD"), compression.getMessage());
        assertEquals(List.of(kept.directory()), directories(StagingArea.leftovers(out.toString())));

        WriteResult fresh = job(20).writeParquet(out.toString());
        assertEquals(0, fresh.skippedSplits());
        assertEquals(FILES * ROWS_PER_FILE, fresh.stats().inputRows());
        assertEquals(
                List.of(), StagingArea.leftovers(out.toString()), "the dead run's directory is gone");
    }

    @Test
    void resumeWithNothingToResumeRunsAndOnlyFileInputsCanBeResumed() {
        Path out = dir.resolve("out");
        Dataset plain =
                Dataset.readParquet(input.toString())
                        .mapBatches(b -> b.output().keep("id").build(), 50);
        WriteResult result = plain.writeParquet(out.toString(), resume());
        assertEquals(FILES * ROWS_PER_FILE, result.rowsWritten());
        assertEquals(0, result.skippedSplits());

        IllegalArgumentException items =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Dataset.fromItems(DatasetTest.items(3))
                                        .writeParquet(dir.resolve("items").toString(), resume()));
        assertTrue(
                items.getMessage().contains("only a job reading Parquet files"),
                items.getMessage());
    }

    private static List<String> directories(List<StagingArea.Leftover> leftovers) {
        return leftovers.stream().map(StagingArea.Leftover::directory).toList();
    }

    private static List<String> names(List<String> files) {
        return files.stream().map(p -> Path.of(p).getFileName().toString()).toList();
    }

    private static List<Map<String, Object>> rows(String file) {
        return Dataset.readParquet(file).take(100_000);
    }
}
