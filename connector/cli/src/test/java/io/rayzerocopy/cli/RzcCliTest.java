package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The CLI in-process: scores equal the model's reference outputs; every bad input exits 2 with one
 * line.
 */
class RzcCliTest {
    @TempDir static Path dir;
    static Path input;
    static final String MODEL = Fixtures.path("simple_classifier.pt").toString();

    record Run(int code, String out, String err) {}

    static Run rzc(String... args) {
        CommandLine cl = Rzc.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int code = cl.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(saved);
        }
    }

    @BeforeAll
    static void writeInput() {
        float[][] x = Fixtures.ref("simple_classifier", "input");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            rows.add(Map.of("id", 100L + i, "features", x[i]));
        }
        input = dir.resolve("in");
        Dataset.fromItems(rows).writeParquet(input.toString());
    }

    @Test
    void scoreWritesIdsAndScoresEqualToTheReference() {
        Path out = dir.resolve("scores");
        Run r =
                rzc(
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
                        "--preserve-order");
        assertEquals(0, r.code(), r.err());
        String last = r.out().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(
                last.matches("rows=4 errored=0 seconds=[0-9.]+ rows_per_s=[0-9]+ output=.*"), last);
        float[][] expected = Fixtures.ref("simple_classifier", "output");
        List<Map<String, Object>> rows = Dataset.readParquet(out.toString()).take(10);
        assertEquals(4, rows.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(100L + i, rows.get(i).get("id"));
            List<?> scores = (List<?>) rows.get(i).get("score");
            for (int j = 0; j < 10; j++) {
                assertEquals(expected[i][j], ((Number) scores.get(j)).floatValue(), 1e-6);
            }
        }
    }

    private static void assertUserError(String expected, String... args) {
        Run r = rzc(args);
        assertEquals(2, r.code(), r.err());
        List<String> lines = r.err().strip().lines().toList();
        assertEquals(1, lines.size(), "one line: " + r.err());
        assertTrue(lines.get(0).contains(expected), lines.get(0));
    }

    @Test
    void anOutputThatOverlapsTheInputExitsTwoAndLeavesTheInputAlone() throws Exception {
        Path data = dir.resolve("overlap/in");
        Dataset.readParquet(input.toString()).writeParquet(data.toString());
        byte[] before = Files.readAllBytes(data.resolve("part-00000.parquet"));
        for (String out :
                List.of(
                        data.toString(),
                        data.getParent().toString(),
                        data.resolve("scores").toString())) {
            for (boolean overwrite : List.of(true, false)) {
                List<String> args =
                        new ArrayList<>(
                                List.of(
                                        "score",
                                        "--model",
                                        MODEL,
                                        "--input",
                                        data.toString(),
                                        "--output",
                                        out,
                                        "--input-column",
                                        "features"));
                if (overwrite) {
                    args.add("--overwrite");
                }
                assertUserError(out, args.toArray(String[]::new));
                assertUserError(data.toString(), args.toArray(String[]::new));
            }
        }
        assertArrayEquals(before, Files.readAllBytes(data.resolve("part-00000.parquet")));
        try (var files = Files.list(data)) {
            assertEquals(1, files.count());
        }
        try (var siblings = Files.list(data.getParent())) {
            assertEquals(1, siblings.count(), "nothing written next to the input");
        }
    }

    @Test
    void badInputsExitTwoWithOneLineNamingTheProblem() throws Exception {
        String out = dir.resolve("bad").toString();
        String in = input.toString();
        assertUserError(
                "--model nope.pt does not exist",
                "score",
                "--model",
                "nope.pt",
                "--input",
                in,
                "--output",
                out,
                "--input-column",
                "features");
        assertUserError(
                "has no column 'feat'; its columns are [",
                "score",
                "--model",
                MODEL,
                "--input",
                in,
                "--output",
                out,
                "--input-column",
                "feat");
        assertUserError(
                "Parquet path does not exist",
                "score",
                "--model",
                MODEL,
                "--input",
                dir.resolve("nowhere").toString(),
                "--output",
                out,
                "--input-column",
                "features");
        Path corrupt = Files.createDirectories(dir.resolve("corrupt")).resolve("part-0.parquet");
        Files.writeString(corrupt, "not parquet at all");
        assertUserError(
                corrupt.toString(),
                "score",
                "--model",
                MODEL,
                "--input",
                corrupt.toString(),
                "--output",
                out,
                "--input-column",
                "features");
        assertUserError(
                "--runtime gpu",
                "score",
                "--model",
                MODEL,
                "--input",
                in,
                "--output",
                out,
                "--input-column",
                "features",
                "--runtime",
                "gpu");
        assertUserError(
                "--compression lz5",
                "score",
                "--model",
                MODEL,
                "--input",
                in,
                "--output",
                out,
                "--input-column",
                "features",
                "--compression",
                "lz5");
        assertUserError(
                "--actors or --min-actors/--max-actors",
                "score",
                "--model",
                MODEL,
                "--input",
                in,
                "--output",
                out,
                "--input-column",
                "features",
                "--actors",
                "2",
                "--min-actors",
                "1",
                "--max-actors",
                "2");
        Files.createDirectories(dir.resolve("full"));
        Files.writeString(dir.resolve("full/x"), "x");
        assertUserError(
                "exists and is not empty; pass --overwrite",
                "score",
                "--model",
                MODEL,
                "--input",
                in,
                "--output",
                dir.resolve("full").toString(),
                "--input-column",
                "features");
        assertUserError(
                "Missing required argument",
                "score",
                "--model",
                MODEL,
                "--input",
                in,
                "--output",
                out);
    }

    @Test
    void aFailingJobExitsOneNamingTheBatch() {
        Run r =
                rzc(
                        "score",
                        "--model",
                        MODEL,
                        "--input",
                        input.toString(),
                        "--output",
                        dir.resolve("fail").toString(),
                        "--input-column",
                        "id");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("rows [0, 4) of"), r.err());
        assertTrue(Files.notExists(dir.resolve("fail")), "a failed job leaves no output");
    }
}
