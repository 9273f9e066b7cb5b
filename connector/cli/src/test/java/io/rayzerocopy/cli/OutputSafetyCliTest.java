package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.internal.exec.JvmLauncher;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code rzc score} never replaces what the user did not hand it to replace: a model or weights
 * inside the output, an empty or dot output (the working directory), a directory holding the
 * working or home directory, the root; and locations with a scheme are either read as what they
 * name ({@code file:}) or refused by name, never written as local directories called {@code
 * hdfs:}. Cases that would touch the working directory run in a child JVM whose working directory
 * is a temporary one, never the repository.
 */
class OutputSafetyCliTest {
    private static final Path MODEL = Fixtures.path("simple_classifier.pt");

    @TempDir static Path dir;
    static Path input;

    @BeforeAll
    static void writeInput() {
        input = RzcCliTest.writeReferenceInput(dir.resolve("in"));
    }

    private static List<String> score(String model, String in, String out, String... extra) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "score", "--model", model, "--input", in, "--output", out,
                                "--input-column", "features", "--keep-columns", "id",
                                "--actors", "1"));
        args.addAll(List.of(extra));
        return args;
    }

    private static JobChecksCliTest.Run inProcess(List<String> args) {
        return JobChecksCliTest.rzc(args.toArray(String[]::new));
    }

    /** {@code rzc} in a child JVM working in {@code cwd}, with {@code HOME} set to {@code home}. */
    private static JobChecksCliTest.Run child(Path cwd, Path home, List<String> args)
            throws Exception {
        ProcessBuilder pb =
                new ProcessBuilder(
                                JvmLauncher.command(
                                        Rzc.class.getName(),
                                        List.of("-Xmx256m", "-Duser.home=" + home),
                                        args))
                        .directory(cwd.toFile());
        pb.environment().put("HOME", home.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "rzc ends");
        return new JobChecksCliTest.Run(
                p.exitValue(),
                new String(out, StandardCharsets.UTF_8),
                new String(err, StandardCharsets.UTF_8));
    }

    private static void assertRefused(JobChecksCliTest.Run r, String... expected) {
        assertEquals(2, r.code(), r.out() + r.err());
        String line =
                r.err().lines().filter(l -> l.startsWith("rzc: ")).findFirst().orElse(r.err());
        for (String e : expected) {
            assertTrue(line.contains(e), "'" + e + "' in: " + line);
        }
    }

    /** A directory holding a file the test checks is left exactly as it was. */
    private static Path precious(Path parent, String name) throws IOException {
        Path d = Files.createDirectories(parent.resolve(name));
        Files.writeString(d.resolve("keep.txt"), "the user's own file");
        return d;
    }

    private static void assertUntouched(Path d) throws IOException {
        assertEquals("the user's own file", Files.readString(d.resolve("keep.txt")));
    }

    @Test
    void aModelInsideTheOutputIsRefusedAndKeptUnderOverwrite() throws Exception {
        Path mo = Files.createDirectories(dir.resolve("mo"));
        Path model = Files.copy(MODEL, mo.resolve("m.pt"));
        byte[] before = Files.readAllBytes(model);

        JobChecksCliTest.Run r =
                inProcess(score(model.toString(), input.toString(), mo.toString(), "--overwrite"));

        assertRefused(r, "--output", "contains the --model " + model);
        assertArrayEquals(before, Files.readAllBytes(model), "the model is intact");
    }

    @Test
    void skeletonAndWeightsInsideTheOutputAreRefusedAndKept() throws Exception {
        Path w = Files.createDirectories(dir.resolve("w"));
        Path skeleton = Files.copy(Fixtures.path("simple_classifier_skeleton.pt"), w.resolve("s.pt"));
        Path weights =
                Files.copy(
                        Fixtures.path("simple_classifier.safetensors"),
                        w.resolve("weights.safetensors"));

        JobChecksCliTest.Run r =
                inProcess(
                        score(
                                skeleton.toString(),
                                input.toString(),
                                w.toString(),
                                "--weights",
                                weights.toString(),
                                "--overwrite"));

        assertRefused(r, "--output", "contains the --model " + skeleton);
        assertTrue(Files.isRegularFile(skeleton) && Files.isRegularFile(weights));
        Path wOnly = Files.createDirectories(dir.resolve("w-only"));
        Path movedWeights = Files.copy(weights, wOnly.resolve("weights.safetensors"));
        JobChecksCliTest.Run weightsOnly =
                inProcess(
                        score(
                                skeleton.toString(),
                                input.toString(),
                                wOnly.toString(),
                                "--weights",
                                movedWeights.toString(),
                                "--overwrite"));
        assertRefused(weightsOnly, "contains the --weights " + movedWeights);
        assertTrue(Files.isRegularFile(movedWeights));
    }

    @Test
    void anEmptyDotOrParentOutputIsRefusedAndTheWorkingDirectoryKept() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home-a"));
        Path cwd = precious(dir, "cwd");
        Path sub = precious(cwd, "sub");

        assertRefused(
                child(cwd, home, score(MODEL.toString(), input.toString(), "", "--overwrite")),
                "--output: output directory is empty");
        assertRefused(
                child(cwd, home, score(MODEL.toString(), input.toString(), ".", "--overwrite")),
                "is the working directory");
        assertRefused(
                child(sub, home, score(MODEL.toString(), input.toString(), "..", "--overwrite")),
                "holds the working directory");
        assertRefused(
                child(cwd, home, score(MODEL.toString(), input.toString(), ".")),
                "is the working directory");
        assertUntouched(cwd);
        assertUntouched(sub);
    }

    @Test
    void theHomeDirectoryAndTheRootAreRefused() throws Exception {
        Path home = precious(dir, "home-b");
        Path cwd = Files.createDirectories(dir.resolve("cwd-b"));

        assertRefused(
                child(
                        cwd,
                        home,
                        score(MODEL.toString(), input.toString(), home.toString(), "--overwrite")),
                "is the home directory");
        assertRefused(
                inProcess(score(MODEL.toString(), input.toString(), "/", "--overwrite")),
                "is the filesystem root");
        assertUntouched(home);
    }

    @Test
    void locationsWithAnotherSchemeAreRefusedByNameAndWriteNothingLocally() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home-c"));
        Path cwd = Files.createDirectories(dir.resolve("cwd-c"));
        String model = MODEL.toString();
        String in = input.toString();

        assertRefused(
                child(cwd, home, score(model, in, "hdfs://127.0.0.1:1/x", "--overwrite")),
                "--output",
                "hdfs://127.0.0.1:1/x",
                "hdfs://");
        assertRefused(
                child(cwd, home, score(model, in, "s3a://bucket/x")), "s3a://bucket/x", "s3a://");
        assertRefused(
                child(cwd, home, score(model, "s3a://bucket/in", cwd.resolve("o").toString())),
                "--input",
                "s3a://bucket/in");
        assertRefused(
                child(cwd, home, score("hdfs://nn:8020/m.pt", in, cwd.resolve("o").toString())),
                "--model hdfs://nn:8020/m.pt");
        try (Stream<Path> left = Files.list(cwd)) {
            assertEquals(List.of(), left.toList(), "nothing written in the working directory");
        }
    }

    @Test
    void fileUrisNameLocalPaths() throws Exception {
        Path out = dir.resolve("via-uri");
        JobChecksCliTest.Run r =
                inProcess(
                        score(
                                MODEL.toUri().toString(),
                                input.toUri().toString(),
                                "file://" + out));

        assertEquals(0, r.code(), r.err());
        assertEquals(4, Dataset.readParquet(out.toString()).count());
        assertFalse(Files.exists(Path.of("file:")), "no directory named after the scheme");
    }
}
