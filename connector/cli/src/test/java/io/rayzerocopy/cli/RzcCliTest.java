package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.RefJson;

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
import java.util.Arrays;
import java.util.LinkedHashMap;
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
        input = writeReferenceInput(dir.resolve("in"));
    }

    /**
     * Writes the reference input of {@code simple_classifier} (ids from 100, a {@code features}
     * list per row) as Parquet at {@code at}; the CLI tests score it.
     */
    static Path writeReferenceInput(Path at) {
        float[][] x = Fixtures.ref("simple_classifier", "input");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            rows.add(Map.of("id", 100L + i, "features", x[i]));
        }
        Dataset.fromItems(rows).writeParquet(at.toString());
        return at;
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

    /** Parquet rows {@code id} plus one float[] column per named input of a fixture's reference. */
    private static Path referenceInput(String fixture, String... inputs) {
        RefJson ref = new RefJson(fixture);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int r = 0; r < ref.input(inputs[0]).size(); r++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", (long) r);
            for (String name : inputs) {
                double[] values = ref.input(name).get(r);
                float[] floats = new float[values.length];
                for (int j = 0; j < floats.length; j++) {
                    floats[j] = (float) values[j];
                }
                row.put(name, floats);
            }
            rows.add(row);
        }
        Path in = dir.resolve("in-" + fixture);
        Dataset.fromItems(rows).writeParquet(in.toString());
        return in;
    }

    private static void assertColumn(
            List<Map<String, Object>> rows, String column, List<double[]> expected, double tol) {
        assertEquals(expected.size(), rows.size());
        for (int r = 0; r < rows.size(); r++) {
            assertEquals((long) r, rows.get(r).get("id"));
            Object value = rows.get(r).get(column);
            List<?> values = value instanceof List<?> list ? list : List.of(value);
            for (int j = 0; j < expected.get(r).length; j++) {
                assertEquals(
                        expected.get(r)[j],
                        ((Number) values.get(j)).doubleValue(),
                        tol,
                        column + " row " + r);
            }
        }
    }

    @Test
    void aTwoInputTwoOutputModelScoresEqualToPython() {
        RefJson ref = new RefJson("two_in_two_out");
        Path out = dir.resolve("two-out");
        Run r =
                rzc(
                        "score",
                        "--model",
                        Fixtures.path("two_in_two_out.pt").toString(),
                        "--input",
                        referenceInput("two_in_two_out", "x", "mask").toString(),
                        "--output",
                        out.toString(),
                        "--input-columns",
                        "x,mask",
                        "--output-columns",
                        "logits,embedding",
                        "--keep-columns",
                        "id",
                        "--preserve-order");
        assertEquals(0, r.code(), r.err());
        List<Map<String, Object>> rows = Dataset.readParquet(out.toString()).take(10);
        assertEquals(List.of("id", "logits", "embedding"), List.copyOf(rows.get(0).keySet()));
        assertColumn(rows, "logits", ref.output("0"), 1e-6);
        assertColumn(rows, "embedding", ref.output("1"), 1e-6);
        assertTrue(r.out().contains("non-finite input values (NaN, +-Inf): 0"), r.out());
    }

    @Test
    void aBfloat16ModelScoresEqualToPython() {
        Path out = dir.resolve("bf16-out");
        Run r =
                rzc(
                        "score",
                        "--model",
                        Fixtures.path("bf16_mlp.pt").toString(),
                        "--input",
                        referenceInput("bf16_mlp", "x").toString(),
                        "--output",
                        out.toString(),
                        "--input-column",
                        "x",
                        "--keep-columns",
                        "id",
                        "--preserve-order");
        assertEquals(0, r.code(), r.err());
        assertColumn(
                Dataset.readParquet(out.toString()).take(10),
                "score",
                new RefJson("bf16_mlp").output("0"),
                0);
    }

    @Test
    void aColumnTheModelCannotTakeExitsTwoBeforeAnyBatchRuns() {
        Path out = dir.resolve("id-out");
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
                        "id");
        assertEquals(2, r.code(), r.err());
        List<String> lines = r.err().strip().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(
                lines.get(0).contains("column 'id' (int64, one value per row)")
                        && lines.get(0).contains("128 values per row")
                        && lines.get(0).contains("mat1 and mat2 must have the same dtype"),
                lines.get(0));
        assertTrue(!r.out().contains("rows="), "no job ran: " + r.out());
        assertTrue(!Files.exists(out));
    }

    @Test
    void nonFiniteInputsAreCountedInTheReport() {
        float[][] x = Fixtures.ref("simple_classifier", "input");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            float[] features = x[i].clone();
            if (i == 1) {
                features[5] = Float.NaN;
                features[6] = Float.NEGATIVE_INFINITY;
            }
            rows.add(Map.of("id", (long) i, "features", features));
        }
        Path in = dir.resolve("nan-in");
        Dataset.fromItems(rows).writeParquet(in.toString());
        String[] args = {
            "score",
            "--model",
            MODEL,
            "--input",
            in.toString(),
            "--output",
            dir.resolve("nan-out").toString(),
            "--input-column",
            "features"
        };
        Run counted = rzc(args);
        assertEquals(0, counted.code(), counted.err());
        assertTrue(
                counted.out().contains("non-finite input values (NaN, +-Inf): 2 (scored as"),
                counted.out());
        List<String> failing = new ArrayList<>(List.of(args));
        failing.set(6, dir.resolve("nan-fail").toString());
        failing.add("--fail-on-nonfinite");
        Run failed = rzc(failing.toArray(String[]::new));
        assertEquals(1, failed.code(), failed.err());
        assertTrue(
                failed.err().contains("column 'features' holds NaN or infinite values"),
                failed.err());
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
            assertEquals(2, files.count(), "the input's part file and _SUCCESS, nothing more");
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
                "already exists and is not empty; choose another one or use --overwrite",
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
    void aFailingJobExitsOneNamingTheBatchAndLibtorchsCause() {
        // Rows 4..7 have 64 features: the check on the first row passes, their batch fails.
        float[][] x = Fixtures.ref("simple_classifier", "input");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            float[] features = i < 4 ? x[i] : Arrays.copyOf(x[i - 4], 64);
            rows.add(Map.of("id", (long) i, "features", features));
        }
        Path in = dir.resolve("half-short");
        Dataset.fromItems(rows).writeParquet(in.toString());
        Run r =
                rzc(
                        "score",
                        "--model",
                        MODEL,
                        "--input",
                        in.toString(),
                        "--output",
                        dir.resolve("fail").toString(),
                        "--input-column",
                        "features",
                        "--batch-size",
                        "4");
        assertEquals(1, r.code(), r.err());
        List<String> lines = r.err().strip().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(
                lines.get(0).contains("rows [4, 8) of")
                        && lines.get(0)
                                .contains(
                                        "mat1 and mat2 shapes cannot be multiplied (4x64 and"
                                                + " 128x256)"),
                r.err());
        assertTrue(Files.notExists(dir.resolve("fail")), "a failed job leaves no output");
    }
}
