package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.internal.data.ParquetFixtures;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Inputs as other tools leave them (Spark and Hive part files, files without rows, list columns
 * without a fixed width, stray files next to the data, odd file names), scored by {@code rzc
 * score} with the simple classifier.
 */
class InputFilesCliTest {
    private static final String MODEL = Fixtures.path("simple_classifier.pt").toString();
    private static final float[][] X = Fixtures.ref("simple_classifier", "input");

    @TempDir Path dir;

    private static JobChecksCliTest.Run score(Path out, String... inputsAndExtra) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "score",
                                "--model",
                                MODEL,
                                "--output",
                                out.toString(),
                                "--input-column",
                                "features",
                                "--keep-columns",
                                "id"));
        args.addAll(List.of(inputsAndExtra));
        return JobChecksCliTest.rzc(args.toArray(String[]::new));
    }

    /** Asserts the job wrote exactly the ids given, each with the reference scores of its row. */
    private static void assertScored(JobChecksCliTest.Run r, Path out, long... ids) {
        assertEquals(0, r.code(), r.err());
        float[][] expected = Fixtures.ref("simple_classifier", "output");
        List<Map<String, Object>> rows = Dataset.readParquet(out.toString()).take(100);
        assertEquals(
                Arrays.stream(ids).boxed().toList(),
                rows.stream().map(row -> (Long) row.get("id")).sorted().toList());
        for (Map<String, Object> row : rows) {
            List<?> scores = (List<?>) row.get("score");
            float[] want = expected[(int) ((Long) row.get("id") % 100)];
            for (int j = 0; j < want.length; j++) {
                assertEquals(want[j], ((Number) scores.get(j)).floatValue(), 1e-6);
            }
        }
    }

    @Test
    void aFileWithoutRowsNextToOthersIsSkippedAndCounted() throws Exception {
        Path in = Files.createDirectories(dir.resolve("spark"));
        ParquetFixtures.writeFeatures(in.resolve("part-00000.parquet"), 0, X);
        ParquetFixtures.writeFeatures(in.resolve("part-00001.parquet"), 100, new float[0][]);
        ParquetFixtures.writeFeatures(in.resolve("part-00002.parquet"), 200, X);
        Path out = dir.resolve("out");

        JobChecksCliTest.Run r = score(out, "--input", in.toString());

        assertScored(r, out, 0, 1, 2, 3, 200, 201, 202, 203);
        assertTrue(
                r.err().contains("skipped 1 input file(s) without rows, e.g. "
                        + in.resolve("part-00001.parquet")),
                r.err());
    }

    @Test
    void anInputWhoseFilesAllHaveNoRowsWritesAnEmptyOutputThatReadsBack() throws Exception {
        Path in = Files.createDirectories(dir.resolve("all-empty"));
        ParquetFixtures.writeFeatures(in.resolve("part-00000.parquet"), 0, new float[0][]);
        ParquetFixtures.writeFeatures(in.resolve("part-00001.parquet"), 100, new float[0][]);
        Path out = dir.resolve("out");

        JobChecksCliTest.Run r = score(out, "--input", in.toString());

        assertEquals(0, r.code(), r.err());
        Dataset written = Dataset.readParquet(out.toString());
        assertEquals(0, written.count());
        assertEquals(
                List.of("id", "score"),
                written.schema().getFields().stream().map(f -> f.getName()).toList());
    }

    /** The line {@code rzc} ended with, after asserting it exited 2 before loading the model. */
    private static String refusal(JobChecksCliTest.Run r) {
        assertEquals(2, r.code(), r.err());
        assertFalse(r.err().contains("weight store"), "no model was loaded: " + r.err());
        return r.err().lines().filter(l -> l.startsWith("rzc: ")).findFirst().orElseThrow();
    }

    @Test
    void listWidthsThatDifferBetweenFilesExitTwoNamingBothFilesBeforeTheModelLoads()
            throws Exception {
        Path in = Files.createDirectories(dir.resolve("widths"));
        ParquetFixtures.writeFeatures(in.resolve("a.parquet"), 0, X);
        float[][] short64 = Arrays.stream(X).map(row -> Arrays.copyOf(row, 64)).toArray(float[][]::new);
        ParquetFixtures.writeFeatures(in.resolve("b.parquet"), 100, short64);

        String line = refusal(score(dir.resolve("out"), "--input", in.toString()));

        assertEquals(
                "rzc: --input: column 'features' has 128 values per row in "
                        + in.resolve("a.parquet")
                        + " but 64 in "
                        + in.resolve("b.parquet")
                        + ": a model takes one width; give files of one width, or read them in"
                        + " separate jobs",
                line);
    }

    @Test
    void filesThatAreNotParquetNextToTheDataAreSkippedAndCounted() throws Exception {
        Path in = Files.createDirectories(dir.resolve("with-readme"));
        ParquetFixtures.writeFeatures(in.resolve("000000_0"), 0, X);
        Files.writeString(in.resolve("README.txt"), "exported by the nightly job");
        Path out = dir.resolve("out");

        JobChecksCliTest.Run r = score(out, "--input", in.toString());

        assertScored(r, out, 0, 1, 2, 3);
        assertTrue(
                r.err().contains("skipped 1 file(s) that are not Parquet (neither named .parquet"
                        + " nor starting with its magic bytes), e.g. " + in.resolve("README.txt")),
                r.err());
        assertEquals(
                1,
                r.err().lines().filter(l -> l.contains("that are not Parquet")).count(),
                "said once: " + r.err());
    }

    @Test
    void aColumnTheJobDoesNotReadMayDifferBetweenFiles() {
        Path in = dir.resolve("extra");
        List<Map<String, Object>> plain = new ArrayList<>();
        List<Map<String, Object>> noted = new ArrayList<>();
        for (int i = 0; i < X.length; i++) {
            plain.add(Map.of("id", (long) i, "features", X[i]));
            noted.add(Map.of("id", 100L + i, "features", X[i], "note", "checked by hand"));
        }
        Dataset.fromItems(plain).writeParquet(in.resolve("a").toString());
        Dataset.fromItems(noted).writeParquet(in.resolve("b").toString());
        Path out = dir.resolve("out");

        assertScored(score(out, "--input", in.toString()), out, 0, 1, 2, 3, 100, 101, 102, 103);
    }

    @Test
    void fileNamesWithGlobCharactersAndCommasAreTakenLiterallyWhenTheyExist() throws Exception {
        Path in = Files.createDirectories(dir.resolve("odd-names"));
        ParquetFixtures.writeFeatures(in.resolve("x[1].parquet"), 0, X);
        ParquetFixtures.writeFeatures(in.resolve("star*.parquet"), 100, X);
        ParquetFixtures.writeFeatures(in.resolve("starX.parquet"), 200, X);
        ParquetFixtures.writeFeatures(in.resolve("a,b.parquet"), 300, X);

        Path bracket = dir.resolve("bracket");
        assertScored(
                score(bracket, "--input", in.resolve("x[1].parquet").toString()),
                bracket, 0, 1, 2, 3);
        Path star = dir.resolve("star");
        assertScored(
                score(star, "--input", in.resolve("star*.parquet").toString()),
                star, 100, 101, 102, 103);
        Path comma = dir.resolve("comma");
        assertScored(
                score(comma, "--input", in.resolve("a,b.parquet").toString()),
                comma, 300, 301, 302, 303);
        Path globbed = dir.resolve("globbed");
        assertScored(
                score(
                        globbed,
                        "--input",
                        in.resolve("x[1].parquet") + "," + in.resolve("starX.parquet"),
                        "--input",
                        in + "/st*X.parquet"),
                globbed, 0, 1, 2, 3, 200, 201, 202, 203);
    }
}
