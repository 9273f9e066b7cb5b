package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.internal.data.StagingArea;
import io.rayzerocopy.internal.exec.JvmLauncher;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code rzc score --runtime spark} (issue #19 item 6): the Spark driver, a child JVM, is killed
 * with SIGKILL once some splits are committed; {@code --resume} then runs only the other splits and
 * the output holds every row once, with the scores of an uninterrupted run.
 */
class SparkResumeCliTest {
    private static final int FILES = 4;
    private static final int ROWS_PER_FILE = 1000;
    private static final int SPLITS = 8;
    private static final String MODEL = Fixtures.path("simple_classifier.pt").toString();

    @TempDir static Path dir;
    static Path input;

    @BeforeAll
    static void writeInput() {
        float[][] x = Fixtures.ref("simple_classifier", "input");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long id = 0; id < FILES * ROWS_PER_FILE; id++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", id);
            row.put("features", x[(int) (id % x.length)]);
            rows.add(row);
        }
        input = dir.resolve("in");
        Dataset.fromItems(rows)
                .writeParquet(
                        input.toString(),
                        ParquetWriteOptions.builder()
                                .rowsPerFile(ROWS_PER_FILE)
                                .rowsPerRowGroup(ROWS_PER_FILE / 2)
                                .build());
    }

    /** The scratch directories of process {@code pid} in the temp directory. */
    private static List<Path> scratchOf(long pid) throws IOException {
        try (Stream<Path> tmp = Files.list(Paths.get(System.getProperty("java.io.tmpdir")))) {
            String prefix = "rzc-scratch-" + pid + "-";
            return tmp.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        }
    }

    /** Scoring on a local cluster of 2 executors, in batches of 5 rows: slow enough to kill. */
    private static List<String> score(Path output, String... extra) {
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
                                "5",
                                "--actors",
                                "1",
                                "--runtime",
                                "spark",
                                "--master",
                                "local-cluster[2,1,1024]",
                                "--conf",
                                "rzc.spark.rowsPerSplit=" + ROWS_PER_FILE / 2,
                                "--conf",
                                "spark.executor.extraJavaOptions=-XX:TieredStopAtLevel=1"
                                        + " -XX:+UseSerialGC"));
        args.addAll(List.of(extra));
        return args;
    }

    @Test
    void aKilledSparkDriverIsResumedFromItsCommittedSplits() throws Exception {
        Path out = dir.resolve("scores");
        List<String> jvm = new ArrayList<>(sparkFlags());
        jvm.addAll(List.of("-Xmx768m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        Process driver = JvmLauncher.start(Rzc.class.getName(), jvm, score(out));
        driver.getOutputStream().close();
        List<ProcessHandle> executors = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (System.nanoTime() < deadline && driver.isAlive()) {
                List<StagingArea.Leftover> staging = StagingArea.leftovers(out.toString());
                if (!staging.isEmpty() && staging.get(0).committedSplits() >= 2) {
                    break;
                }
                Thread.sleep(10);
            }
            assertTrue(driver.isAlive(), "the driver still runs with 2 splits committed");
            driver.descendants().forEach(executors::add);
        } finally {
            driver.destroyForcibly();
            driver.waitFor(30, TimeUnit.SECONDS);
        }
        assertEquals(137, driver.exitValue(), "killed by SIGKILL");
        double killedAfter = (System.nanoTime() - t0) / 1e9;
        for (ProcessHandle executor : executors) {
            executor.onExit().get(60, TimeUnit.SECONDS);
        }
        assertFalse(Files.exists(out), "a killed job leaves no output");
        List<Path> scratch = scratchOf(driver.pid());
        assertEquals(1, scratch.size(), "the killed driver's scratch directory: " + scratch);
        try (Stream<Path> spark = Files.list(scratch.get(0))) {
            assertTrue(
                    spark.anyMatch(p -> p.getFileName().toString().startsWith("blockmgr-")),
                    "the driver's block manager wrote in " + scratch.get(0));
        }
        List<StagingArea.Leftover> left = StagingArea.leftovers(out.toString());
        assertEquals(1, left.size(), left.toString());
        int done = left.get(0).committedSplits();
        assertTrue(done >= 2 && done < SPLITS, left.toString());

        RzcCliTest.Run resumed = RzcCliTest.rzc(score(out, "--resume").toArray(String[]::new));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(
                resumed.out().contains("resumed: skipped " + done + " input splits"),
                resumed.out());
        String last = resumed.out().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("rows=" + FILES * ROWS_PER_FILE + " errored=0 "), last);
        assertEquals(
                List.of(),
                scratchOf(driver.pid()),
                "the next Spark job removed the killed one's scratch directory");
        assertEquals(
                List.of(),
                StagingArea.leftovers(out.toString()),
                "nothing is left next to the output");
        System.out.printf(
                "TIMING spark driver killed %.1f s in with %d of %d splits committed (%d executor"
                        + " JVMs exited with it); --resume ran the other %d%n",
                killedAfter, done, SPLITS, executors.size(), SPLITS - done);

        Path reference = dir.resolve("reference");
        List<String> threads = new ArrayList<>(score(reference));
        int runtime = threads.indexOf("--runtime");
        threads.subList(runtime, threads.size()).clear();
        assertEquals(0, RzcCliTest.rzc(threads.toArray(String[]::new)).code());
        Map<Object, Object> expected = scoresById(reference);
        Map<Object, Object> actual = scoresById(out);
        assertEquals(FILES * ROWS_PER_FILE, actual.size(), "every id once");
        assertEquals(expected.keySet(), actual.keySet());
        // Equal to float precision: libtorch's kernels may round differently with another
        // alignment of the batch's memory.
        expected.forEach(
                (id, scores) -> {
                    List<?> want = (List<?>) scores;
                    List<?> got = (List<?>) actual.get(id);
                    for (int j = 0; j < want.size(); j++) {
                        assertEquals(
                                ((Number) want.get(j)).floatValue(),
                                ((Number) got.get(j)).floatValue(),
                                1e-5,
                                "id " + id + ": the scores of an uninterrupted run");
                    }
                });
    }

    private static Map<Object, Object> scoresById(Path output) {
        Map<Object, Object> byId = new HashMap<>();
        for (Map<String, Object> row : Dataset.readParquet(output.toString()).take(100_000)) {
            assertEquals(null, byId.put(row.get("id"), row.get("score")), "id twice");
        }
        return byId;
    }

    /** This JVM's --add-opens and Spark's driver flags, which the child driver needs too. */
    private static List<String> sparkFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(
                        a ->
                                a.startsWith("--add-opens")
                                        || a.startsWith("--add-exports")
                                        || a.startsWith("-Djdk.reflect")
                                        || a.startsWith("-Dio.netty")
                                        || a.startsWith("-Dai.djl")
                                        || a.startsWith("-DDJL"))
                .toList();
    }
}
