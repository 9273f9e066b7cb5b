package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.internal.data.ParquetFixtures;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code rzc score} over a Hive-partitioned table of 3 dates: {@code --where} prunes partitions,
 * {@code --keep-columns} keeps a partition column (a date column through a worker process's shared
 * memory and back), {@code --partition-by} writes it back as directories; bad flags exit 2 before
 * the model loads, naming the flag, the column and the fix.
 */
class PartitionCliTest {
    private static final String MODEL = Fixtures.path("simple_classifier.pt").toString();
    private static final float[][] X = Fixtures.ref("simple_classifier", "input");
    private static final List<String> DATES = List.of("2026-11-30", "2026-12-01", "2026-12-02");

    @TempDir static Path dir;
    static Path table;

    /** table/date=D/part-00000.parquet, ids 100 * i + r for date i. */
    @BeforeAll
    static void writeTable() throws Exception {
        table = dir.resolve("features");
        for (int i = 0; i < DATES.size(); i++) {
            Path partition = Files.createDirectories(table.resolve("date=" + DATES.get(i)));
            ParquetFixtures.writeFeatures(partition.resolve("part-00000.parquet"), 100L * i, X);
        }
    }

    private static JobChecksCliTest.Run score(Path out, String... extra) {
        return score(table, out, extra);
    }

    private static JobChecksCliTest.Run score(Path input, Path out, String... extra) {
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
                                "--actors",
                                "1"));
        args.addAll(List.of(extra));
        return JobChecksCliTest.rzc(args.toArray(String[]::new));
    }

    @Test
    void whereAndPartitionByScoreTheKeptPartitionsIntoDateDirectories() throws Exception {
        Path out = dir.resolve("scores");
        JobChecksCliTest.Run r =
                score(
                        out,
                        "--keep-columns",
                        "id,date",
                        "--where",
                        "date >= '2026-12-01'",
                        "--partition-by",
                        "date",
                        "--max-open-files",
                        "1",
                        "--runtime",
                        "processes");
        assertEquals(0, r.code(), r.err());
        try (Stream<Path> dirs = Files.list(out)) {
            assertEquals(
                    List.of("_SUCCESS", "date=2026-12-01", "date=2026-12-02"),
                    dirs.map(p -> p.getFileName().toString()).sorted().toList());
        }
        float[][] expected = Fixtures.ref("simple_classifier", "output");
        List<Map<String, Object>> rows = Dataset.readParquet(out.toString()).take(100);
        List<Long> ids = rows.stream().map(row -> (Long) row.get("id")).sorted().toList();
        List<Long> want = new ArrayList<>();
        for (int i = 1; i < 3; i++) {
            for (int r2 = 0; r2 < X.length; r2++) {
                want.add(100L * i + r2);
            }
        }
        assertEquals(want, ids, "only the two December partitions, each row once");
        for (Map<String, Object> row : rows) {
            long id = (Long) row.get("id");
            assertEquals(LocalDate.parse(DATES.get((int) (id / 100))), row.get("date"));
            List<?> scores = (List<?>) row.get("score");
            float[] ref = expected[(int) (id % 100)];
            for (int j = 0; j < ref.length; j++) {
                assertEquals(ref[j], ((Number) scores.get(j)).floatValue(), 1e-6);
            }
        }
        Dataset file = Dataset.readParquet(out.resolve("date=2026-12-01/part-00000.parquet").toString());
        assertEquals(List.of("id", "score"), file.schema().getFields().stream().map(f -> f.getName()).toList());
    }

    @Test
    void theFilesOfPrunedPartitionsAreNeverOpened() throws Exception {
        Path damaged = Files.createDirectories(dir.resolve("damaged"));
        ParquetFixtures.writeFeatures(
                Files.createDirectories(damaged.resolve("date=2026-12-01")).resolve("p.parquet"),
                0,
                X);
        Path broken = Files.createDirectories(damaged.resolve("date=2026-12-02"));
        Files.writeString(broken.resolve("p.parquet"), "not parquet at all");
        Path out = dir.resolve("damaged-scores");
        JobChecksCliTest.Run r =
                score(damaged, out, "--keep-columns", "id", "--where", "date < '2026-12-02'");
        assertEquals(0, r.code(), r.err());
        assertEquals(X.length, Dataset.readParquet(out.toString()).count());
    }

    /** The line {@code rzc} ended with, after asserting it exited 2 before loading the model. */
    private static String refusal(JobChecksCliTest.Run r) {
        assertEquals(2, r.code(), r.err());
        assertFalse(r.err().contains("weight store"), "no model was loaded: " + r.err());
        return r.err().lines().filter(l -> l.startsWith("rzc: ")).findFirst().orElseThrow();
    }

    @Test
    void badWhereAndPartitionFlagsExitTwoNamingFlagColumnAndFix() {
        Path out = dir.resolve("never");
        assertEquals(
                "rzc: --where: 'region' is not a partition column; the partition columns are"
                        + " [date]: filter on partition columns only",
                refusal(score(out, "--keep-columns", "id", "--where", "region = 'eu'")));
        assertEquals(
                "rzc: --where: partition column 'date' is date but is compared with 5; write"
                        + " DATE 'yyyy-MM-dd' or 'yyyy-MM-dd'",
                refusal(score(out, "--keep-columns", "id", "--where", "date = 5")));
        assertTrue(
                refusal(score(out, "--keep-columns", "id", "--where", "date >= "))
                        .startsWith("rzc: --where: expected a literal"));
        assertEquals(
                "rzc: --partition-by region: not a column of the output, which has [id, score];"
                        + " keep it (--keep-columns id,region) or name an output column",
                refusal(score(out, "--keep-columns", "id", "--partition-by", "region")));
        assertEquals(
                "rzc: --partition-types date=hour: unknown partition type 'hour': use int, long,"
                        + " double, date or string",
                refusal(score(out, "--keep-columns", "id", "--partition-types", "date=hour")));
        assertTrue(
                refusal(score(out, "--keep-columns", "id", "--partition-types", "date=int"))
                        .startsWith("rzc: --input: partition directory " + table.resolve("date=2026-11-30")
                                + ": '2026-11-30' is not of type int (partition column"
                                + " 'date'); read it as a string (--partition-types"
                                + " column=string)"));
        assertFalse(Files.exists(out));
    }
}
