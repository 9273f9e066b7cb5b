package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.internal.data.StagingArea;
import io.rayzerocopy.internal.exec.JvmLauncher;
import io.rayzerocopy.internal.storage.Storage;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code rzc score} in a real child JVM killed with SIGKILL halfway, then {@code --resume}d: the
 * output equals an uninterrupted run's, and the resumed run reads only the files not done. A killed
 * run's staging directory is removed by {@code rzc clean}.
 */
class ResumeCliTest {
    private static final int FILES = 10;
    private static final int ROWS_PER_FILE = 1000;
    private static final String MODEL = Fixtures.path("simple_classifier.pt").toString();

    @TempDir static Path dir;
    static Path input;

    @BeforeAll
    static void writeInput() {
        input = dir.resolve("features");
        writeFeatures(input.toString(), FILES, ROWS_PER_FILE);
    }

    /**
     * {@code files} Parquet files of {@code rowsPerFile} rows {id, features: float[128]} at {@code
     * location} (a path or URI), features a fixed function of id.
     */
    static void writeFeatures(String location, int files, int rowsPerFile) {
        Dataset.range((long) files * rowsPerFile)
                .mapBatches(
                        batch -> {
                            BigIntVector ids = (BigIntVector) batch.root().getVector("id");
                            FixedSizeListVector features =
                                    FixedSizeListVector.empty("features", 128, batch.allocator());
                            features.addOrGetVector(
                                    FieldType.nullable(
                                            new ArrowType.FloatingPoint(
                                                    FloatingPointPrecision.SINGLE)));
                            Float4Vector values = (Float4Vector) features.getDataVector();
                            int rows = batch.rowCount();
                            features.setInitialCapacity(rows);
                            features.allocateNew();
                            for (int r = 0; r < rows; r++) {
                                features.setNotNull(r);
                                for (int j = 0; j < 128; j++) {
                                    values.setSafe(
                                            r * 128 + j,
                                            (float) Math.sin(ids.get(r) * 0.37 + j * 0.11));
                                }
                            }
                            values.setValueCount(rows * 128);
                            features.setValueCount(rows);
                            return batch.output().keep("id").put("features", features).build();
                        },
                        rowsPerFile)
                .withOptions(io.rayzerocopy.ExecutionOptions.builder().preserveOrder(true).build())
                .writeParquet(
                        location, ParquetWriteOptions.builder().rowsPerFile(rowsPerFile).build());
    }

    private static List<String> score(Path output, String... extra) {
        return score(output, 2, extra);
    }

    private static List<String> score(Path output, int batchSize, String... extra) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "score",
                                "--model",
                                MODEL,
                                "--input",
                                input.toString(),
                                "--output",
                                output.toString(),
                                "--input-column",
                                "features",
                                "--keep-columns",
                                "id",
                                "--batch-size",
                                Integer.toString(batchSize),
                                "--actors",
                                "1",
                                "--preserve-order"));
        args.addAll(List.of(extra));
        return args;
    }

    /** Starts {@code rzc} in a child JVM and SIGKILLs it at half the files. */
    private static StagingArea.Leftover killHalfway(Path output) throws Exception {
        StagingArea.Leftover killed = killHalfway(score(output), output.toString(), FILES);
        assertFalse(Files.exists(output), "a killed job leaves no output");
        return killed;
    }

    /**
     * Starts {@code rzc} with {@code args} in a child JVM and SIGKILLs it once its staging area
     * next to {@code output} (a path or URI) has half of the {@code files} input files committed;
     * returns what it left there.
     */
    static StagingArea.Leftover killHalfway(List<String> args, String output, int files)
            throws Exception {
        Process child =
                JvmLauncher.start(
                        Rzc.class.getName(),
                        List.of(
                                "-Xmx512m",
                                "-Dai.djl.pytorch.num_threads=1",
                                "-Dai.djl.pytorch.num_interop_threads=1"),
                        args);
        child.getOutputStream().close();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && child.isAlive()) {
                List<StagingArea.Leftover> staging = StagingArea.leftovers(output);
                if (!staging.isEmpty() && staging.get(0).committedSplits() >= files / 2) {
                    break;
                }
                // Each look at a remote staging area is several requests to its server.
                Thread.sleep(Storage.isLocal(output) ? 10 : 200);
            }
            assertTrue(child.isAlive(), "the child is still running at half the files");
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL");
        List<StagingArea.Leftover> left = StagingArea.leftovers(output);
        assertEquals(1, left.size(), left.toString());
        StagingArea.Leftover killed = left.get(0);
        assertFalse(killed.alive());
        assertTrue(
                killed.committedSplits() >= files / 2 && killed.committedSplits() < files,
                killed.toString());
        return killed;
    }

    @Test
    void aJobKilledHalfwayAndResumedWritesWhatAnUninterruptedRunWritesReadingOnlyTheRest()
            throws Exception {
        Path reference = dir.resolve("reference");
        RzcCliTest.Run uninterrupted = RzcCliTest.rzc(score(reference).toArray(String[]::new));
        assertEquals(0, uninterrupted.code(), uninterrupted.err());

        Path out = dir.resolve("scores");
        StagingArea.Leftover killed = killHalfway(out);
        int done = killed.committedSplits();

        RzcCliTest.Run resumed = RzcCliTest.rzc(score(out, "--resume").toArray(String[]::new));

        assertEquals(0, resumed.code(), resumed.err());
        int notDone = FILES - done;
        assertTrue(
                resumed.out()
                        .contains(
                                "resumed: skipped "
                                        + done
                                        + " input files already committed by the run that died ("
                                        + done * ROWS_PER_FILE
                                        + " rows); read "
                                        + notDone * ROWS_PER_FILE
                                        + " rows from the others"),
                resumed.out());
        assertEquals(notDone * ROWS_PER_FILE, readRows(resumed.out()), "read only those files");
        String last = resumed.out().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("rows=" + FILES * ROWS_PER_FILE + " errored=0 "), last);
        assertEquals(
                List.of(),
                StagingArea.leftovers(out.toString()),
                "nothing is left next to the output");
        System.out.printf(
                "killed at %d of %d files committed; the resumed run skipped %d and read %d%n",
                done, FILES, done, notDone);

        List<Path> expectedFiles = files(reference);
        List<Path> actualFiles = files(out);
        assertEquals(FILES, actualFiles.size());
        assertEquals(
                expectedFiles.stream().map(Path::getFileName).toList(),
                actualFiles.stream().map(Path::getFileName).toList());
        for (int i = 0; i < FILES; i++) {
            assertEquals(
                    rows(expectedFiles.get(i)),
                    rows(actualFiles.get(i)),
                    "file " + i + " equals the uninterrupted run's, row by row");
        }
        List<Map<String, Object>> all = Dataset.readParquet(out.toString()).take(100_000);
        assertEquals(FILES * ROWS_PER_FILE, all.size());
        for (int i = 0; i < all.size(); i++) {
            assertEquals((long) i, all.get(i).get("id"), "each row once, in order");
        }
    }

    @Test
    void cleanOrTheNextJobRemovesTheStagingDirectoryOfAKilledJob() throws Exception {
        Path out = dir.resolve("cleaned/scores");
        StagingArea.Leftover killed = killHalfway(out);

        RzcCliTest.Run clean = RzcCliTest.rzc("clean", out.getParent().toString());

        assertEquals(0, clean.code(), clean.err());
        assertTrue(
                clean.out().contains("removed " + killed.directory() + " (left by job pid "),
                clean.out());
        assertTrue(clean.out().contains("removed 1 staging directories"), clean.out());
        assertFalse(Files.exists(Path.of(killed.directory())));
        try (var left = Files.list(out.getParent())) {
            assertEquals(List.of(), left.toList());
        }

        StagingArea.Leftover again = killHalfway(out);
        RzcCliTest.Run next = RzcCliTest.rzc(score(out, 256).toArray(String[]::new));
        assertEquals(0, next.code(), next.err());
        assertFalse(
                Files.exists(Path.of(again.directory())), "the next job on the output removed it");
        try (var left = Files.list(out.getParent())) {
            assertEquals(List.of(out), left.toList());
        }
    }

    /** The rows the read operator reported in the printed stats. */
    private static long readRows(String out) {
        Matcher m = Pattern.compile("read: ([0-9,]+) rows").matcher(out);
        assertTrue(m.find(), out);
        return Long.parseLong(m.group(1).replace(",", ""));
    }

    private static List<Path> files(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("part-"))
                    .sorted()
                    .toList();
        }
    }

    private static List<Map<String, Object>> rows(Path file) {
        return Dataset.readParquet(file.toString()).take(100_000);
    }
}
