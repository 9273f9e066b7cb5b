package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.DatasetException;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Unwritable;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@code rzc score} checks before a job starts (exit 2, one line naming the file, column or
 * flag), and how it ends when only cleaning up fails.
 */
class JobChecksCliTest {
    private static final String MODEL = Fixtures.path("simple_classifier.pt").toString();

    @TempDir static Path dir;
    static Path input;

    /** {@code rzc} in-process, with the log (stderr) captured next to stdout. */
    record Run(int code, String out, String err) {}

    static Run rzc(String... args) {
        PrintStream savedErr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            RzcCliTest.Run r = RzcCliTest.rzc(args);
            return new Run(r.code(), r.out(), r.err() + log.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(savedErr);
        }
    }

    static List<String> score(Path in, Path out, String... extra) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "score",
                                "--model",
                                MODEL,
                                "--input",
                                in.toString(),
                                "--output",
                                out.toString(),
                                "--input-column",
                                "features",
                                "--keep-columns",
                                "id"));
        args.addAll(List.of(extra));
        return args;
    }

    private static Run score(Path out, String... extra) {
        return rzc(score(input, out, extra).toArray(String[]::new));
    }

    @BeforeAll
    static void writeInput() {
        input = RzcCliTest.writeReferenceInput(dir.resolve("in"));
    }

    private static void assertExitTwo(Run r, String... expected) {
        assertEquals(2, r.code(), r.out() + r.err());
        String line =
                r.err().strip().lines().filter(l -> l.startsWith("rzc: ")).findFirst().orElse("");
        for (String e : expected) {
            assertTrue(line.contains(e), "'" + e + "' in: " + r.err());
        }
    }

    @Test
    void anOverwriteThatReplacedTheOutputExitsZeroNamingTheOldOutputItCouldNotDelete()
            throws Exception {
        Path out = dir.resolve("replaced");
        Path locked = Files.createDirectories(out.resolve("sub"));
        Files.writeString(locked.resolve("old.txt"), "old");
        Run r;
        Path backup;
        try (Unwritable unwritable = Unwritable.of(locked)) {
            r = score(out, "--overwrite");
            try (var siblings = Files.list(dir)) {
                backup =
                        siblings.filter(
                                        p ->
                                                p.getFileName()
                                                        .toString()
                                                        .startsWith(".replaced.rzc-old-"))
                                .findFirst()
                                .orElseThrow();
            }
            unwritable.movedTo(backup.resolve("sub"));
        }
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("could not delete the old output moved to " + backup), r.err());
        assertEquals(4, Dataset.readParquet(out.toString()).count(), "the new output is in place");
        assertFalse(Files.exists(out.resolve("sub")));
    }

    @Test
    void filesWhoseColumnTypesDifferExitTwoNamingBothFilesAndTypesBeforeTheModelLoads()
            throws Exception {
        Path mixed = dir.resolve("mixed");
        Dataset.readParquet(input.toString()).writeParquet(mixed.resolve("a").toString());
        Dataset.fromItems(List.of(Map.of("id", 1L, "features", new double[128])))
                .writeParquet(mixed.resolve("b").toString());

        Run r = rzc(score(mixed, dir.resolve("mixed-out")).toArray(String[]::new));

        assertExitTwo(
                r,
                "column 'features' is list<float>[128] in " + mixed.resolve("a/part-00000.parquet"),
                "but list<double>[128] in " + mixed.resolve("b/part-00000.parquet"));
        assertFalse(r.err().contains("weight store"), "no model was loaded: " + r.err());
    }

    @Test
    void aPoolFarLargerThanTheMachineIsRefusedAndOneLargerThanTheInputIsCapped() {
        int cores = Runtime.getRuntime().availableProcessors();
        assertExitTwo(
                score(dir.resolve("many"), "--actors", "1000"),
                "--actors 1000 is far more than the " + cores + " cores");
        assertExitTwo(
                score(dir.resolve("many"), "--min-actors", "1", "--max-actors", "1000"),
                "--max-actors 1000 is far more than the");

        Run capped = score(dir.resolve("capped"), "--actors", "3", "--batch-size", "2");
        assertEquals(0, capped.code(), capped.err());
        assertTrue(capped.err().contains("the input has only 2 batches of 2 rows"), capped.err());
        assertTrue(capped.err().contains("2 actors started"), capped.err());
    }

    @Test
    void anInputWithoutRowsGivesAnEmptyOutputFileTheNextJobCanRead() throws Exception {
        Path empty = dir.resolve("no-rows");
        Dataset.readParquet(input.toString())
                .mapBatches(
                        b ->
                                b.output()
                                        .put("id", b.tensor("id").get("0:0"))
                                        .put("features", b.tensor("features").get("0:0"))
                                        .build(),
                        10)
                .writeParquet(empty.toString());
        Path out = dir.resolve("no-rows-out");

        Run r = rzc(score(empty, out).toArray(String[]::new));

        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().strip().lines().reduce((a, b) -> b).orElse("").startsWith("rows=0 "));
        try (var files = Files.list(out)) {
            assertEquals(
                    List.of(out.resolve("_SUCCESS"), out.resolve("part-00000.parquet")),
                    files.sorted().toList());
        }
        Dataset written = Dataset.readParquet(out.toString());
        assertEquals(0, written.count());
        assertEquals(
                java.util.Set.of("score", "id"),
                java.util.Set.copyOf(
                        written.schema().getFields().stream().map(f -> f.getName()).toList()));
    }

    @Test
    void anOutputWhoseStagingDirectoryCannotBeMadeExitsTwoWithTheSystemsReason() throws Exception {
        Path parent = Files.createDirectories(dir.resolve("locked"));
        Run r;
        try (Unwritable unwritable = Unwritable.of(parent)) {
            r = score(parent.resolve("out"));
        }
        assertExitTwo(
                r, "--output: cannot create a staging directory next to " + parent.resolve("out"));
        assertTrue(
                r.err().contains("Operation not permitted")
                        || r.err().contains("Permission denied"),
                r.err());
        assertFalse(r.err().contains("weight store"), "no model was loaded: " + r.err());
    }

    /** A function whose worker process SIGKILLs itself on the first batch. */
    static io.rayzerocopy.BatchFn killingItsProcess(String unused) {
        return batch -> {
            new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid()))
                    .start()
                    .waitFor();
            Thread.sleep(10_000);
            return batch.root();
        };
    }

    @Test
    void hintsNameTheFlagsOnTheCommandLineAndTheRestartLimitIsAFlag() {
        // Rows 4..7 have 64 features: the check on the first row passes, their batch fails.
        float[][] x = Fixtures.ref("simple_classifier", "input");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            float[] features = i < 4 ? x[i] : java.util.Arrays.copyOf(x[i - 4], 64);
            rows.add(Map.of("id", (long) i, "features", features));
        }
        Path halfShort = dir.resolve("half-short");
        Dataset.fromItems(rows).writeParquet(halfShort.toString());
        Run failing =
                rzc(
                        score(halfShort, dir.resolve("fail"), "--batch-size", "4")
                                .toArray(String[]::new));
        assertEquals(1, failing.code(), failing.err());
        String line =
                failing.err().lines().filter(l -> l.startsWith("rzc: ")).findFirst().orElseThrow();
        assertTrue(line.contains("allow them with --max-errored-batches N"), line);
        assertFalse(line.contains("maxErroredBatches"), line);

        DatasetException restarts =
                org.junit.jupiter.api.Assertions.assertThrows(
                        DatasetException.class,
                        () ->
                                Dataset.range(10)
                                        .mapBatches(
                                                JobChecksCliTest::killingItsProcess,
                                                "unused",
                                                5,
                                                ActorPoolStrategy.size(1))
                                        .withOptions(
                                                ExecutionOptions.builder()
                                                        .runtime("processes")
                                                        .maxActorRestarts(0)
                                                        .build())
                                        .count());
        assertTrue(
                restarts.getMessage().contains("(ExecutionOptions.maxActorRestarts(n))"),
                restarts.getMessage());
        assertTrue(
                JobOptions.withFlags(restarts.getMessage()).contains("(--max-actor-restarts N)"),
                restarts.getMessage());

        assertExitTwo(
                score(dir.resolve("r"), "--max-actor-restarts", "-1"), "--max-actor-restarts >= 0");
        Run withFlag = score(dir.resolve("r"), "--max-actor-restarts", "0");
        assertEquals(0, withFlag.code(), withFlag.err());
    }

    /** A function that allocates twice its JVM's heap. */
    static io.rayzerocopy.BatchFn hoggingTheHeap(String unused) {
        return batch -> {
            long[] tooMuch = new long[(int) (Runtime.getRuntime().maxMemory() / 4)];
            tooMuch[0] = 1;
            return batch.root();
        };
    }

    @Test
    void aWorkerOutOfHeapNamesTheBatchAndTheFlagsAndWorkerJvmOptionsAreAFlag() {
        DatasetException oom =
                org.junit.jupiter.api.Assertions.assertThrows(
                        DatasetException.class,
                        () ->
                                Dataset.range(10)
                                        .mapBatches(
                                                JobChecksCliTest::hoggingTheHeap,
                                                "unused",
                                                10,
                                                ActorPoolStrategy.size(1))
                                        .withOptions(
                                                ExecutionOptions.builder()
                                                        .runtime("processes")
                                                        .workerJvmOptions(List.of("-Xmx64m"))
                                                        .build())
                                        .count());
        String line = JobOptions.withFlags(oom.getMessage());
        assertTrue(
                line.contains("ran out of memory (Java heap space; its heap is ")
                        && line.contains(
                                " MB) on a batch of 10 rows: give worker JVMs more heap"
                                    + " (--worker-jvm-option with -Xmx2g), or pass fewer rows per"
                                    + " batch (--batch-size)"),
                line);

        Run withFlag =
                score(
                        dir.resolve("worker-heap"),
                        "--runtime",
                        "processes",
                        "--actors",
                        "1",
                        "--worker-jvm-option=-Xmx200m");
        assertEquals(0, withFlag.code(), withFlag.err());
        Run badFlag =
                score(
                        dir.resolve("worker-bad"),
                        "--runtime",
                        "processes",
                        "--actors",
                        "1",
                        "--max-actor-restarts",
                        "0",
                        "--worker-jvm-option=-XX:+NoSuchJvmFlag");
        assertEquals(1, badFlag.code(), badFlag.err());
        assertTrue(badFlag.err().contains("NoSuchJvmFlag"), badFlag.err());
    }

    @Test
    void anOutputThatIsAFileExitsTwoBeforeTheModelLoadsAndTheFileIsKept() throws Exception {
        Path file = Files.writeString(dir.resolve("scores.parquet"), "not ours");

        Run r = score(file, "--overwrite");

        assertExitTwo(r, "--output " + file + " is a file, not a directory");
        assertFalse(r.err().contains("weight store"), "no model was loaded: " + r.err());
        assertEquals("not ours", Files.readString(file));
    }
}
