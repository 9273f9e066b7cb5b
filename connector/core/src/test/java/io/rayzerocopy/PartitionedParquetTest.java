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
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("id", id);
                    row.put("x", id * 0.5);
                    rows.add(row);
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
    void aPartitionValueReplacesAFileColumnOfItsNameInItsPlace(@TempDir Path other) {
        Path t = other.resolve("t");
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("date", "stale");
        row.put("id", 1L);
        Dataset.fromItems(List.of(row)).writeParquet(t.resolve("date=2026-12-01").toString());
        Dataset read = Dataset.readParquet(t.toString());
        assertEquals(List.of("date", "id"), List.copyOf(types(read).keySet()));
        assertEquals(LocalDate.of(2026, 12, 1), read.take(1).get(0).get("date"));
    }

    @Test
    void aDatePartitionColumnWrittenIntoFilesIsAParquetDate(@TempDir Path other) {
        Path flat = other.resolve("flat");
        Dataset.readParquet(table.toString()).writeParquet(flat.toString());
        Dataset back = Dataset.readParquet(flat.toString());
        assertEquals("Date(DAY)", types(back).get("date"));
        List<Map<String, Object>> rows = sorted(back.take(100));
        assertEquals(30, rows.size());
        assertEquals(LocalDate.parse(DATES.get(2)), rows.get(29).get("date"));
    }

    @Test
    void prunedPartitionsAreNeverOpened(@TempDir Path other) throws Exception {
        Path t = other.resolve("t");
        Dataset.fromItems(List.of(Map.of("id", 1L))).writeParquet(t.resolve("day=1").toString());
        Files.createDirectories(t.resolve("day=2"));
        Files.writeString(t.resolve("day=2/part-00000.parquet"), "not parquet at all");
        assertEquals(1, where(t, "day = 1").count());
        assertEquals(List.of(Map.of("id", 1L, "day", 1)), where(t, "day < 2").take(10));
        DatasetException e =
                assertThrows(DatasetException.class, () -> Dataset.readParquet(t.toString()).count());
        assertTrue(e.getMessage().contains("day=2/part-00000.parquet"), e.getMessage());
    }

    private static Dataset where(Path t, String expression) {
        return Dataset.readParquet(
                ParquetReadOptions.builder().where(expression).build(), t.toString());
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

    /** Keeps id, hour and date, puts y = 2x; fails on ids from 20 on while the flag file exists. */
    public static final class Doubler implements BatchFn {
        private final Path flag;

        public Doubler(String flag) {
            this.flag = Path.of(flag);
        }

        @Override
        public org.apache.arrow.vector.VectorSchemaRoot call(Batch batch) {
            var ids = (org.apache.arrow.vector.BigIntVector) batch.root().getVector("id");
            var x = (org.apache.arrow.vector.Float8Vector) batch.root().getVector("x");
            var y = new org.apache.arrow.vector.Float8Vector("y", batch.allocator());
            y.allocateNew(batch.rowCount());
            for (int r = 0; r < batch.rowCount(); r++) {
                if (ids.get(r) >= 20 && Files.exists(flag)) {
                    y.close();
                    throw new IllegalStateException("flagged at id " + ids.get(r));
                }
                y.set(r, 2 * x.get(r));
            }
            y.setValueCount(batch.rowCount());
            return batch.output().keep("id", "date", "hour").put("y", y).build();
        }
    }

    private static Dataset doubled(Path flag) {
        return Dataset.readParquet(table.toString())
                .mapBatches(Doubler.class, List.of(flag.toString()), 4, ActorPoolStrategy.size(2));
    }

    private static List<String> relative(Path root, List<String> files) {
        return files.stream().map(f -> root.relativize(Path.of(f)).toString()).sorted().toList();
    }

    @Test
    void partitionByWritesHiveDirectoriesWithoutThePartitionColumnsAndReadsBack(
            @TempDir Path other) throws Exception {
        Path out = other.resolve("out");
        Path flag = other.resolve("no-flag");
        WriteResult result =
                doubled(flag)
                        .writeParquet(
                                out.toString(),
                                ParquetWriteOptions.builder().partitionBy("date").build());
        assertEquals(30, result.rowsWritten());
        assertEquals(
                List.of(
                        "date=2026-11-30/part-00000.parquet",
                        "date=2026-11-30/part-00001.parquet",
                        "date=2026-12-01/part-00000.parquet",
                        "date=2026-12-01/part-00001.parquet",
                        "date=2026-12-02/part-00000.parquet",
                        "date=2026-12-02/part-00001.parquet"),
                relative(out, result.files()));
        String success = Files.readString(out.resolve("_SUCCESS"));
        assertTrue(success.contains("date=2026-12-02/part-00001.parquet"), success);
        Dataset oneFile = Dataset.readParquet(result.files().get(0));
        assertEquals(List.of("id", "hour", "y"), List.copyOf(types(oneFile).keySet()));
        Dataset back = Dataset.readParquet(out.toString());
        assertEquals("Date(DAY)", types(back).get("date"));
        List<Map<String, Object>> rows = sorted(back.take(100));
        assertEquals(30, rows.size());
        for (int i = 0; i < 30; i++) {
            assertEquals(
                    Map.of(
                            "id", (long) i,
                            "hour", i % 10 < 5 ? 7 : 23,
                            "y", (double) i,
                            "date", LocalDate.parse(DATES.get(i / 10))),
                    rows.get(i));
        }
    }

    @Test
    void manyPartitionsPerBatchStayWithinTheOpenFileBound(@TempDir Path other) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (long i = 0; i < 60; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", i);
            row.put("key", i % 6 == 5 ? "" : i % 6 == 4 ? "a/b=c" : "k" + (i % 6));
            items.add(row);
        }
        Path out = other.resolve("out");
        WriteResult result =
                Dataset.fromItems(items)
                        .mapBatches(batch -> batch.output().keep("id", "key").build(), 10)
                        .writeParquet(
                                out.toString(),
                                ParquetWriteOptions.builder()
                                        .partitionBy("key")
                                        .maxOpenFiles(2)
                                        .build());
        List<String> dirs =
                relative(out, result.files()).stream()
                        .map(f -> f.substring(0, f.indexOf('/')))
                        .distinct()
                        .toList();
        assertEquals(
                List.of("key=__HIVE_DEFAULT_PARTITION__", "key=a%2Fb%3Dc", "key=k0", "key=k1",
                        "key=k2", "key=k3"),
                dirs);
        assertTrue(result.files().size() > 6, "files finished early to stay within 2 open");
        Map<Long, Object> keys = new LinkedHashMap<>();
        for (Map<String, Object> row : Dataset.readParquet(out.toString()).take(100)) {
            keys.put((Long) row.get("id"), row.get("key"));
        }
        assertEquals(60, keys.size());
        for (long i = 0; i < 60; i++) {
            Object expected = i % 6 == 5 ? null : i % 6 == 4 ? "a/b=c" : "k" + (i % 6);
            assertEquals(expected, keys.get(i), "row " + i);
        }
    }

    @Test
    void badPartitionByIsRefusedBeforeAnyWrite(@TempDir Path other) {
        Path out = other.resolve("out");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Dataset.readParquet(table.toString())
                                        .writeParquet(
                                                out.toString(),
                                                ParquetWriteOptions.builder()
                                                        .partitionBy("region")
                                                        .build()));
        assertTrue(
                e.getMessage().contains("'region' is not a column of the output; its columns are"
                        + " [id, x, date, hour]"),
                e.getMessage());
        assertTrue(Files.notExists(out));
    }

    @Test
    void aPartitionedJobResumesWithEveryRowOnce(@TempDir Path other) throws Exception {
        Path out = other.resolve("out");
        Path flag = Files.createFile(other.resolve("flag"));
        ParquetWriteOptions options =
                ParquetWriteOptions.builder().partitionBy("date", "hour").resume(true).build();
        Dataset job =
                doubled(flag).withOptions(ExecutionOptions.builder().preserveOrder(true).build());
        assertThrows(DatasetException.class, () -> job.writeParquet(out.toString(), options));
        assertTrue(Files.notExists(out));
        Files.delete(flag);
        WriteResult resumed = job.writeParquet(out.toString(), options);
        assertTrue(resumed.skippedSplits() >= 1, "splits of the failed run are kept");
        assertEquals(30, resumed.rowsWritten());
        assertTrue(resumed.stats().inputRows() < 30, "only the splits not committed are read");
        List<Map<String, Object>> rows = sorted(Dataset.readParquet(out.toString()).take(100));
        assertEquals(
                java.util.stream.LongStream.range(0, 30).boxed().toList(),
                rows.stream().map(r -> r.get("id")).toList());
        assertEquals(6, resumed.files().size());
    }
}
