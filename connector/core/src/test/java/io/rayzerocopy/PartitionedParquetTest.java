package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Hive-partitioned tables in and out, on real Parquet files: partition columns typed as Spark
 * infers them (or forced), pruning before any file is opened, and {@code partitionBy} output read
 * back with the same rows.
 */
class PartitionedParquetTest {
    static final List<String> DATES = List.of("2026-11-30", "2026-12-01", "2026-12-02");

    @TempDir static Path dir;
    static Path table;

    /** table/date=D/hour=H/part.parquet: 3 dates x 2 hours x 5 rows, ids 0..29 in that order. */
    @BeforeAll
    static void writeTable() {
        table = dir.resolve("table");
        long id = 0;
        for (String date : DATES) {
            for (int hour : new int[] {7, 23}) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (int r = 0; r < 5; r++, id++) {
                    rows.add(Map.of("id", id, "x", id * 0.5));
                }
                Dataset.fromItems(rows)
                        .writeParquet(
                                table.resolve("date=" + date).resolve("hour=" + hour).toString());
            }
        }
    }

    static List<Map<String, Object>> sorted(List<Map<String, Object>> rows) {
        List<Map<String, Object>> copy = new ArrayList<>(rows);
        copy.sort(Comparator.comparingLong(r -> (Long) r.get("id")));
        return copy;
    }

    static Map<String, String> types(Dataset dataset) {
        Map<String, String> types = new LinkedHashMap<>();
        for (Field f : dataset.schema().getFields()) {
            types.put(f.getName(), f.getType().toString());
        }
        return types;
    }

    @Test
    void partitionColumnsAreInferredAsSparkDoes() {
        Dataset all = Dataset.readParquet(table.toString());
        assertEquals(
                Map.of("id", "Int(64, true)", "x", "FloatingPoint(DOUBLE)",
                        "date", "Date(DAY)", "hour", "Int(32, true)"),
                types(all));
        List<Map<String, Object>> rows = sorted(all.take(100));
        assertEquals(30, rows.size());
        for (int i = 0; i < 30; i++) {
            Map<String, Object> row = rows.get(i);
            assertEquals((long) i, row.get("id"));
            assertEquals(LocalDate.parse(DATES.get(i / 10)), row.get("date"));
            assertEquals(i % 10 < 5 ? 7 : 23, row.get("hour"));
        }
        assertEquals(30, all.count());
    }

    @Test
    void whereReadsOnlyTheMatchingPartitions() {
        Dataset december =
                Dataset.readParquet(
                        ParquetReadOptions.builder()
                                .where("date >= '2026-12-01' AND NOT (hour = 7)")
                                .build(),
                        table.toString());
        assertEquals(
                List.of(15L, 16L, 17L, 18L, 19L, 25L, 26L, 27L, 28L, 29L),
                sorted(december.take(100)).stream().map(r -> r.get("id")).toList());
        Dataset java =
                Dataset.readParquet(
                        ParquetReadOptions.builder()
                                .partitionFilter(p -> p.get("date").equals(LocalDate.of(2026, 11, 30)))
                                .where("hour IN (7, 8)")
                                .build(),
                        table.toString());
        assertEquals(
                List.of(0L, 1L, 2L, 3L, 4L),
                sorted(java.take(100)).stream().map(r -> r.get("id")).toList());
    }

    @Test
    void forcedTypesAndBadFilters() {
        Dataset strings =
                Dataset.readParquet(
                        ParquetReadOptions.builder()
                                .partitionType("date", ParquetReadOptions.PartitionType.STRING)
                                .partitionType("hour", ParquetReadOptions.PartitionType.LONG)
                                .where("date = '2026-12-02'")
                                .build(),
                        table.toString());
        assertEquals("Utf8", types(strings).get("date"));
        assertEquals("Int(64, true)", types(strings).get("hour"));
        assertEquals(10, strings.count());
        IllegalArgumentException unknown =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> where("region = 'eu'").count());
        assertTrue(unknown.getMessage().contains("'region' is not a partition column; the"
                + " partition columns are [date, hour]"), unknown.getMessage());
        IllegalArgumentException mismatch =
                assertThrows(IllegalArgumentException.class, () -> where("hour = '7'").count());
        assertTrue(mismatch.getMessage().contains("partition column 'hour' is int but is compared"
                + " with '7'"), mismatch.getMessage());
        assertThrows(IllegalArgumentException.class, () -> where("date > 5").count());
        assertThrows(IllegalArgumentException.class, () -> where("date >"));
        IllegalArgumentException none =
                assertThrows(
                        IllegalArgumentException.class, () -> where("date < '2000-01-01'").count());
        assertTrue(none.getMessage().contains("keeps none of the 6 partitions"), none.getMessage());
    }

    private static Dataset where(String expression) {
        return Dataset.readParquet(
                ParquetReadOptions.builder().where(expression).build(), table.toString());
    }

    @Test
    void escapedNullAndWidenedValues(@TempDir Path other) {
        Path t = other.resolve("t");
        String[] dirs = {"k=1/s=a%2Fb", "k=2.5/s=__HIVE_DEFAULT_PARTITION__", "k=3/s=x%3Dy"};
        for (int i = 0; i < dirs.length; i++) {
            Dataset.fromItems(List.of(Map.of("id", (long) i)))
                    .writeParquet(t.resolve(dirs[i]).toString());
        }
        Dataset read = Dataset.readParquet(t.toString());
        assertEquals("FloatingPoint(DOUBLE)", types(read).get("k"));
        assertEquals("Utf8", types(read).get("s"));
        Map<Long, String> byId = new LinkedHashMap<>();
        for (Map<String, Object> row : sorted(read.take(10))) {
            byId.put((Long) row.get("id"), row.get("k") + "|" + row.get("s"));
        }
        assertEquals(Map.of(0L, "1.0|a/b", 1L, "2.5|null", 2L, "3.0|x=y"), byId);
    }

    @Test
    void inconsistentLayoutsAreRefusedNamingTheDirectory(@TempDir Path other) throws Exception {
        Path t = other.resolve("t");
        Dataset.fromItems(List.of(Map.of("id", 1L))).writeParquet(t.resolve("date=2026-12-01").toString());
        Dataset.fromItems(List.of(Map.of("id", 2L)))
                .writeParquet(t.resolve("date=2026-12-02/hour=1").toString());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Dataset.readParquet(t.toString()).count());
        assertTrue(e.getMessage().contains("inconsistent partition directories"), e.getMessage());
        assertTrue(e.getMessage().contains("date=2026-12-0"), e.getMessage());
        Files.createDirectories(t.resolve("date=2026-12-02/hour=1"));
        assertTrue(Files.exists(t));
    }
}
