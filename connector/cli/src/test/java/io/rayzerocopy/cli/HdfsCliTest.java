package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.internal.data.StagingArea;
import io.rayzerocopy.internal.storage.MiniHdfs;

import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code rzc score} with input, output and model on a real HDFS (a NameNode and two DataNodes in
 * this JVM, served on 127.0.0.1 to the child JVMs too): scores equal a local run's, a driver
 * killed with SIGKILL leaves no output and {@code --resume} completes it with every row once, and
 * locations that cannot work exit 2 naming them, in seconds.
 */
class HdfsCliTest {
    private static final int FILES = 6;
    private static final int ROWS_PER_FILE = 500;

    @TempDir static Path dir;
    private static MiniHdfs hdfs;
    private static String input;
    private static String model;

    @BeforeAll
    static void start() throws Exception {
        hdfs = MiniHdfs.start(dir.resolve("hdfs"));
        input = hdfs.uri() + "/warehouse/features";
        ResumeCliTest.writeFeatures(input, FILES, ROWS_PER_FILE);
        ResumeCliTest.writeFeatures(dir.resolve("features").toString(), FILES, ROWS_PER_FILE);
        model = hdfs.uri() + "/models/simple_classifier.pt";
        hdfs.client()
                .copyFromLocalFile(
                        new org.apache.hadoop.fs.Path(
                                Fixtures.path("simple_classifier.pt").toUri()),
                        new org.apache.hadoop.fs.Path("/models/simple_classifier.pt"));
    }

    @AfterAll
    static void stop() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    private static List<String> score(String model, String in, String out, String... extra) {
        return score(50, model, in, out, extra);
    }

    /** {@code rzc score} of {@code in} with {@code model} into {@code out}, in order, 1 actor. */
    static List<String> score(
            int batchSize, String model, String in, String out, String... extra) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "score",
                                "--model",
                                model,
                                "--input",
                                in,
                                "--output",
                                out,
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

    @Test
    void scoresOnHdfsEqualALocalRunsWithEachIdOnce() {
        String local = dir.resolve("local-scores").toString();
        String localModel = Fixtures.path("simple_classifier.pt").toString();
        RzcCliTest.Run reference =
                RzcCliTest.rzc(
                        score(localModel, dir.resolve("features").toString(), local)
                                .toArray(String[]::new));
        assertEquals(0, reference.code(), reference.err());
        String out = hdfs.uri() + "/warehouse/scores";

        RzcCliTest.Run remote = RzcCliTest.rzc(score(model, input, out).toArray(String[]::new));

        assertEquals(0, remote.code(), remote.err());
        String last = remote.out().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.endsWith("output=" + out), last);
        System.out.println("local: " + lastLine(reference) + "\nhdfs:  " + last);
        List<Map<String, Object>> expected = Dataset.readParquet(local).take(100_000);
        List<Map<String, Object>> actual = Dataset.readParquet(out).take(100_000);
        assertEquals(FILES * ROWS_PER_FILE, actual.size());
        assertEquals(expected, actual, "the same scores, each id once, in order");
    }

    @Test
    void aDriverKilledMidJobLeavesNoOutputAndResumeCommitsEveryRowOnce() throws Exception {
        String out = hdfs.uri() + "/warehouse/killed";
        int done =
                ResumeCliTest.killHalfway(score(2, model, input, out), out, FILES)
                        .committedSplits();
        FileSystem fs = hdfs.client();
        assertFalse(fs.exists(new org.apache.hadoop.fs.Path("/warehouse/killed")), "no output");

        RzcCliTest.Run resumed =
                RzcCliTest.rzc(score(2, model, input, out, "--resume").toArray(String[]::new));

        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(
                resumed.out().contains("resumed: skipped " + done + " input files"),
                resumed.out());
        List<Map<String, Object>> all = Dataset.readParquet(out).take(100_000);
        assertEquals(FILES * ROWS_PER_FILE, all.size());
        for (int i = 0; i < all.size(); i++) {
            assertEquals((long) i, all.get(i).get("id"), "each row once, in order");
        }
        assertEquals(List.of(), StagingArea.leftovers(out));
    }

    @Test
    void locationsThatCannotWorkExit2NamingThemInSeconds() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String dead = "hdfs://127.0.0.1:" + port + "/in";
        String out = dir.resolve("never").toString();
        assertExit2(score(model, "foo://host/in", out), "--input", "foo://");
        assertExit2(
                score(model, "gs://KEY:PASSWORD@bucket/in", out),
                "--input",
                "gcs-connector",
                "gs://***@bucket/in");
        assertExit2(score(model, dead, out), "--input", dead);
        assertExit2(score(model, input + "-missing", out), "--input", "does not exist");
        assertExit2(score(model, input, dead), "--output", dead);
        assertExit2(
                score(hdfs.uri() + "/models/none.pt", input, out),
                "--model",
                "/models/none.pt",
                "does not exist");
        assertExit2(
                score(model, input, hdfs.uri() + "/models", "--overwrite"),
                "--output",
                "--model");
        assertFalse(java.nio.file.Files.exists(Path.of(out)), "nothing written");
    }

    /**
     * Runs {@code args}, asserting exit 2 within 30 s with one line holding {@code expected} and
     * no credential ({@code PASSWORD} in the tests' URIs and settings).
     */
    static void assertExit2(List<String> args, String... expected) {
        long start = System.nanoTime();
        RzcCliTest.Run r = RzcCliTest.rzc(args.toArray(String[]::new));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(seconds < 30, args + " took " + seconds + " s");
        String line =
                r.err().lines().filter(l -> l.startsWith("rzc: ")).findFirst().orElse(r.err());
        for (String e : expected) {
            assertTrue(line.contains(e), "'" + e + "' in: " + line);
        }
        assertFalse(line.contains("PASSWORD"), line);
    }

    static String lastLine(RzcCliTest.Run r) {
        return r.out().strip().lines().reduce((a, b) -> b).orElse("");
    }
}
