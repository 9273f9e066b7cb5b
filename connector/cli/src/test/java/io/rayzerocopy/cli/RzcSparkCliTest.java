package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.ParquetWriteOptions;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code rzc score --runtime spark}: a real local cluster, and what exits 2 before one starts. */
class RzcSparkCliTest {
    private static final int ROWS = 400;

    @TempDir static Path dir;
    static Path input;
    static final String MODEL = Fixtures.path("simple_classifier.pt").toString();

    @BeforeAll
    static void writeInput() {
        float[][] x = Fixtures.ref("simple_classifier", "input");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long id = 0; id < ROWS; id++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", id);
            row.put("features", x[(int) (id % x.length)]);
            rows.add(row);
        }
        input = dir.resolve("in");
        Dataset.fromItems(rows)
                .writeParquet(
                        input.toString(), ParquetWriteOptions.builder().rowsPerFile(100).build());
    }

    private static RzcCliTest.Run score(Path out, String... more) {
        return scoreWithActors(out, "1", more);
    }

    private static RzcCliTest.Run scoreWithActors(Path out, String actors, String... more) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "score",
                                "--model",
                                MODEL,
                                "--input",
                                input.toString(),
                                "--output",
                                out.toString(),
                                "--input-column",
                                "features",
                                "--keep-columns",
                                "id",
                                "--actors",
                                actors));
        args.addAll(List.of(more));
        return RzcCliTest.rzc(args.toArray(String[]::new));
    }

    @Test
    void scoresOnALocalClusterOfTwoExecutorJvms() {
        Path out = dir.resolve("scores");
        RzcCliTest.Run r =
                score(
                        out,
                        "--runtime",
                        "spark",
                        "--master",
                        "local-cluster[2,1,1024]",
                        "--conf",
                        "spark.executor.extraJavaOptions=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertTrue(lines[lines.length - 1].startsWith("rows=" + ROWS + " errored=0"), r.out());
        // The line reports the store's copies as sampled while the job ran; that both executors
        // map one copy is SparkStoreTest's check (a job of a few ms may be sampled between them).
        Matcher copies =
                Pattern.compile("weight copies in memory: ([0-9.]+) copies").matcher(r.out());
        assertTrue(copies.find(), "the memory line: " + r.out());
        assertTrue(
                Double.parseDouble(copies.group(1)) <= 1.01,
                "the executors hold at most one copy of the weights: " + r.out());
        float[][] expected = Fixtures.ref("simple_classifier", "output");
        BitSet seen = new BitSet();
        for (Map<String, Object> row : Dataset.readParquet(out.toString()).take(ROWS + 1)) {
            int id = (int) (long) (Long) row.get("id");
            assertTrue(!seen.get(id), "id " + id + " twice");
            seen.set(id);
            List<?> scores = (List<?>) row.get("score");
            for (int j = 0; j < expected[0].length; j++) {
                assertEquals(
                        expected[id % expected.length][j],
                        ((Number) scores.get(j)).floatValue(),
                        1e-5);
            }
        }
        assertEquals(ROWS, seen.cardinality());
    }

    @Test
    void anAbsurdActorCountExitsTwoBeforeAnyClusterStarts() {
        // 50 first: were the check missing, that run would start 50 threads per executor (which the
        // machine survives) and fail the test before 100000 runs (issue #19).
        for (String actors : List.of("50", "100000")) {
            Path out = dir.resolve("never");
            long t0 = System.nanoTime();
            RzcCliTest.Run r =
                    scoreWithActors(
                            out, actors, "--runtime", "spark", "--master", "local-cluster[2,1,1024]");
            assertEquals(2, r.code(), r.err());
            assertTrue(
                    r.err().contains("--actors " + actors + ": " + actors + " actors per Spark task")
                            && r.err().contains("spark.rzc.maxActorsPerExecutor=N (--conf)"),
                    r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "in seconds");
            assertTrue(Files.notExists(out));
        }
    }

    @Test
    void badSparkSettingsExitTwoBeforeAnyClusterStarts() {
        record Case(String expected, String... args) {}
        for (Case c :
                List.of(
                        new Case(
                                "is not a Spark master URL",
                                "--runtime",
                                "spark",
                                "--master",
                                "local-cluster[2,1]"),
                        new Case(
                                "no Spark master reachable at spark://127.0.0.1:1",
                                "--runtime",
                                "spark",
                                "--master",
                                "spark://127.0.0.1:1"),
                        new Case("add --runtime spark", "--master", "local[2]"),
                        new Case(
                                "master yarn needs Spark's YARN support, which is not on this"
                                        + " classpath (rzc brings Spark's core only): add"
                                        + " org.apache.spark:spark-yarn_2.13:4.1.x",
                                "--runtime",
                                "spark",
                                "--master",
                                "yarn"),
                        new Case(
                                "unknown spark runtime option 'rzc.spark.rowsPerSplitt'",
                                "--runtime",
                                "spark",
                                "--master",
                                "local[2]",
                                "--conf",
                                "rzc.spark.rowsPerSplitt=10"))) {
            Path out = dir.resolve("never");
            long t0 = System.nanoTime();
            RzcCliTest.Run r = score(out, c.args());
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains(c.expected()), r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "in seconds");
            assertTrue(Files.notExists(out));
        }
    }
}
