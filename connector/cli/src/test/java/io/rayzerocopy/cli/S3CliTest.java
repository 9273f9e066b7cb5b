package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.internal.data.StagingArea;
import io.rayzerocopy.internal.exec.JvmLauncher;
import io.rayzerocopy.internal.storage.S3Server;
import io.rayzerocopy.internal.storage.Storage;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code rzc score} with input, output and model on a real S3 API (S3Proxy in a child JVM,
 * reached through S3A with {@code --conf fs.s3a.*}): scores equal a local run's, a driver killed
 * with SIGKILL leaves no output and {@code --resume} completes it with every row once, locations
 * that cannot work exit 2 naming them in seconds, and a server that dies mid-job fails the job
 * with exit 1 and no output.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class S3CliTest {
    private static final int FILES = 6;
    private static final int ROWS_PER_FILE = 500;

    @TempDir static Path dir;
    private static S3Server s3;
    private static String input;
    private static String model;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Server.start(dir.resolve("s3"));
        Storage.configure(s3.settings());
        String bucket = s3.createBucket("warehouse");
        input = bucket + "/features";
        ResumeCliTest.writeFeatures(input, FILES, ROWS_PER_FILE);
        ResumeCliTest.writeFeatures(dir.resolve("features").toString(), FILES, ROWS_PER_FILE);
        model = bucket + "/models/simple_classifier.pt";
        S3Server.upload(Fixtures.path("simple_classifier.pt"), model);
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
    }

    private static List<String> score(
            int batchSize, String model, String in, String out, String... extra) {
        // The server's settings first: a later --conf of the same key (a test's) wins.
        List<String> settings = new ArrayList<>(s3.confArguments());
        settings.addAll(List.of(extra));
        return HdfsCliTest.score(batchSize, model, in, out, settings.toArray(String[]::new));
    }

    @Test
    @Order(1)
    void scoresOnS3EqualALocalRunsWithEachIdOnce() {
        String local = dir.resolve("local-scores").toString();
        String localModel = Fixtures.path("simple_classifier.pt").toString();
        RzcCliTest.Run reference =
                RzcCliTest.rzc(
                        score(50, localModel, dir.resolve("features").toString(), local)
                                .toArray(String[]::new));
        assertEquals(0, reference.code(), reference.err());
        String out = "s3a://warehouse/scores";

        RzcCliTest.Run remote =
                RzcCliTest.rzc(score(50, model, input, out).toArray(String[]::new));

        assertEquals(0, remote.code(), remote.err());
        String last = lastLine(remote);
        assertTrue(last.endsWith("output=" + out), last);
        System.out.println("local: " + lastLine(reference) + "\ns3:    " + last);
        List<Map<String, Object>> expected = Dataset.readParquet(local).take(100_000);
        List<Map<String, Object>> actual = Dataset.readParquet(out).take(100_000);
        assertEquals(FILES * ROWS_PER_FILE, actual.size());
        assertEquals(expected, actual, "the same scores, each id once, in order");
        assertFalse(remote.out().contains(S3Server.SECRET_KEY) || remote.err().contains(S3Server.SECRET_KEY));
    }

    @Test
    @Order(2)
    void aDriverKilledMidJobLeavesNoOutputAndResumeCommitsEveryRowOnce() throws Exception {
        String out = "s3a://warehouse/killed";
        int done =
                ResumeCliTest.killHalfway(score(25, model, input, out), out, FILES)
                        .committedSplits();
        assertEquals(List.of(), visibleObjects("killed/"), "no output object is visible");

        RzcCliTest.Run resumed =
                RzcCliTest.rzc(score(25, model, input, out, "--resume").toArray(String[]::new));

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
        assertEquals(
                List.of(),
                s3.objects("warehouse", "killed/").stream()
                        .filter(k -> k.contains("__magic_job-"))
                        .toList(),
                "no pending-upload record is left");
    }

    @Test
    @Order(3)
    void locationsThatCannotWorkExit2NamingThemInSeconds() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String out = "s3a://warehouse/never";
        assertExit2(
                score(50, model, "s3a://nobucket/in", out),
                "--input",
                "s3a://nobucket/in",
                "the bucket does not exist");
        assertExit2(
                score(50, model, input, "s3a://nobucket/out"),
                "--output",
                "s3a://nobucket/out",
                "the bucket does not exist");
        assertExit2(score(50, model, input + "-missing", out), "--input", "does not exist");
        assertExit2(
                score(50, "s3a://warehouse/models/none.pt", input, out),
                "--model",
                "s3a://warehouse/models/none.pt");
        assertExit2(
                score(50, model, input, out, "--conf", "fs.s3a.secret.key=wrong-PASSWORD"),
                "s3a://warehouse/",
                "access denied: check the credentials");
        assertExit2(
                score(
                        50,
                        model,
                        input,
                        out,
                        "--conf",
                        "fs.s3a.endpoint=http://127.0.0.1:" + port),
                "s3a://warehouse/",
                "fs.s3a.endpoint");
        // The runs above configured this JVM's S3A with what they were given.
        Storage.configure(s3.settings());
        // The Spark runtime adopts its attempts by renames, which copy on an object store.
        assertExit2(
                score(50, model, input, out, "--runtime", "spark", "--master", "local[1]"),
                "s3a://warehouse/never",
                "write to hdfs://");
        assertEquals(List.of(), s3.objects("warehouse", "never"), "nothing written");
    }

    @Test
    @Order(4)
    void aServerThatDiesMidJobFailsItWithExit1AndNoOutput() throws Exception {
        String out = "s3a://warehouse/dead";
        Storage.configure(s3.settings());
        Process child =
                JvmLauncher.start(
                        Rzc.class.getName(),
                        List.of("-Xmx512m", "-Dai.djl.pytorch.num_threads=1"),
                        score(25, model, input, out));
        child.getOutputStream().close();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && child.isAlive()) {
                List<StagingArea.Leftover> staging = StagingArea.leftovers(out);
                if (!staging.isEmpty() && staging.get(0).committedSplits() >= 1) {
                    break;
                }
                Thread.sleep(200);
            }
            s3.kill();
            assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the job ends");
        } finally {
            child.destroyForcibly();
        }
        assertEquals(1, child.exitValue());
        assertEquals(List.of(), visibleObjects("dead/"), "no output object is visible");
    }

    /** Objects under {@code prefix} that a reader of the output would see. */
    private static List<String> visibleObjects(String prefix) throws Exception {
        return s3.objects("warehouse", prefix).stream()
                .filter(k -> !k.substring(prefix.length()).startsWith("_"))
                .toList();
    }

    private static void assertExit2(List<String> args, String... expected) {
        HdfsCliTest.assertExit2(args, expected);
    }

    private static String lastLine(RzcCliTest.Run r) {
        return HdfsCliTest.lastLine(r);
    }
}
