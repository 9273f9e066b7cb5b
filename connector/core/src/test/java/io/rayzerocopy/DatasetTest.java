package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

class DatasetTest {
    @TempDir Path dir;

    /** Rows {id: i, x: i * 0.5, v: float[4]} for i in [0, n). */
    static List<Map<String, Object>> items(int n) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, Object> row = new HashMap<>();
            row.put("id", (long) i);
            row.put("x", i * 0.5);
            row.put("v", new float[] {i, i + 1, i + 2, i + 3});
            items.add(row);
        }
        return items;
    }

    /** Keeps id and puts y = 2x; throws on batches holding an id in {@code failOn}. */
    public static final class Doubler implements BatchFn {
        private final Set<Long> failOn;

        public Doubler(Set<Long> failOn) {
            this.failOn = failOn;
        }

        @Override
        public VectorSchemaRoot call(Batch batch) {
            BigIntVector ids = (BigIntVector) batch.root().getVector("id");
            for (int r = 0; r < batch.rowCount(); r++) {
                if (failOn.contains(ids.get(r))) {
                    throw new IllegalStateException("boom at id " + ids.get(r));
                }
            }
            Float8Vector x = (Float8Vector) batch.root().getVector("x");
            Float8Vector y = new Float8Vector("y", batch.allocator());
            y.allocateNew(batch.rowCount());
            for (int r = 0; r < batch.rowCount(); r++) {
                y.set(r, 2 * x.get(r));
            }
            y.setValueCount(batch.rowCount());
            return batch.output().keep("id").put("y", y).build();
        }
    }

    @Test
    void fromItemsInfersTypesAndMapsBatches() {
        Dataset ds = Dataset.fromItems(items(10));
        assertEquals(new ArrowType.FixedSizeList(4), ds.schema().findField("v").getType());

        Dataset doubled =
                ds.mapBatches(Doubler::new, Set.<Long>of(), 3, ActorPoolStrategy.size(2))
                        .withOptions(ExecutionOptions.builder().preserveOrder(true).build());
        List<Map<String, Object>> rows = doubled.take(10);

        assertEquals(10, rows.size());
        for (int i = 0; i < 10; i++) {
            assertEquals(Map.of("id", (long) i, "y", (double) i), rows.get(i));
        }
        assertEquals(
                List.of("id", "y"),
                doubled.schema().getFields().stream().map(f -> f.getName()).toList());
        assertEquals(10, doubled.count());
    }

    @Test
    void erroredBatchesAreRecordedAndEveryRowIsAccountedFor() {
        Path out = dir.resolve("out");
        Dataset ds =
                Dataset.fromItems(items(100))
                        .mapBatches(Doubler::new, Set.of(37L, 71L), 10, ActorPoolStrategy.size(3))
                        .withOptions(ExecutionOptions.builder().maxErroredBatches(2).build());

        WriteResult result = ds.writeParquet(out.toString());

        assertEquals(80, result.rowsWritten());
        assertEquals(20, result.erroredRows());
        assertEquals(100, result.stats().inputRows());
        Set<Long> written =
                Dataset.readParquet(out.toString()).take(1000).stream()
                        .map(r -> (Long) r.get("id"))
                        .collect(Collectors.toSet());
        List<Map<String, Object>> errors =
                Dataset.readParquet(out.resolve("_errors").toString()).take(1000);
        Set<Long> errored =
                errors.stream().map(r -> (Long) r.get("source_row")).collect(Collectors.toSet());
        assertEquals(80, written.size());
        assertEquals(20, errors.size());
        assertEquals(LongStreams.range(30, 40, 70, 80), errored);
        assertTrue(
                errors.stream()
                        .allMatch(
                                r ->
                                        r.get("source").equals("items")
                                                && r.get("operator").equals("map1(Doubler::new)")
                                                && ((String) r.get("error"))
                                                        .contains("boom at id")),
                errors.get(0).toString());
        Set<Long> all = new java.util.HashSet<>(written);
        all.addAll(errored);
        assertEquals(100, all.size(), "written and errored rows are disjoint and cover the input");
    }

    @Test
    void aFailingBatchFailsTheJobNamingFileAndRowsAndLeavesNoOutput() throws Exception {
        Path input = dir.resolve("in");
        Dataset.fromItems(items(100))
                .writeParquet(
                        input.toString(), ParquetWriteOptions.builder().rowsPerFile(50).build());
        Path out = dir.resolve("out");

        DatasetException e =
                assertThrows(
                        DatasetException.class,
                        () ->
                                Dataset.readParquet(input.toString())
                                        .mapBatches(
                                                Doubler::new,
                                                Set.of(73L),
                                                10,
                                                ActorPoolStrategy.size(2))
                                        .writeParquet(out.toString()));

        assertTrue(
                e.getMessage().contains("rows [20, 30) of " + input.resolve("part-00001.parquet")),
                e.getMessage());
        assertTrue(e.getMessage().contains("boom at id 73"), e.getMessage());
        assertTrue(
                e.getMessage().contains("allow them with ExecutionOptions.maxErroredBatches(n)"),
                e.getMessage());
        assertFalse(Files.exists(out));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(
                    List.of("in"),
                    left.map(p -> p.getFileName().toString()).toList(),
                    "no staging directory is left");
        }
    }

    @Test
    void tooManyErroredBatchesFailTheJob() {
        Path out = dir.resolve("out");
        DatasetException e =
                assertThrows(
                        DatasetException.class,
                        () ->
                                Dataset.fromItems(items(100))
                                        .mapBatches(
                                                Doubler::new,
                                                Set.of(5L, 15L, 25L),
                                                10,
                                                ActorPoolStrategy.size(1))
                                        .withOptions(
                                                ExecutionOptions.builder()
                                                        .maxErroredBatches(2)
                                                        .build())
                                        .writeParquet(out.toString()));

        assertTrue(e.getMessage().contains("more than the 2 allowed"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void actorConstructorFailureFailsTheJobClearly() {
        DatasetException e =
                assertThrows(
                        DatasetException.class,
                        () ->
                                Dataset.fromItems(items(10))
                                        .mapBatches(
                                                path -> {
                                                    throw new java.io.FileNotFoundException(
                                                            "no model at " + path);
                                                },
                                                "/models/missing.pt",
                                                5,
                                                ActorPoolStrategy.size(2))
                                        .count());

        assertTrue(e.getMessage().contains("constructing actor"), e.getMessage());
        assertTrue(e.getMessage().contains("no model at /models/missing.pt"), e.getMessage());
    }

    @Test
    void preserveOrderHoldsUnderConcurrency() {
        Dataset slowAndJittery =
                Dataset.fromItems(items(600))
                        .mapBatches(
                                batch -> {
                                    long first =
                                            ((BigIntVector) batch.root().getVector("id")).get(0);
                                    Thread.sleep((first * 7919) % 13);
                                    return batch.output().keep("id", "x").build();
                                },
                                10)
                        .mapBatches(
                                Doubler::new,
                                Set.<Long>of(),
                                7,
                                ActorPoolStrategy.size(4).maxTasksInFlightPerActor(3));

        List<Long> ordered =
                ids(
                        slowAndJittery.withOptions(
                                ExecutionOptions.builder().preserveOrder(true).build()));
        List<Long> unordered = ids(slowAndJittery);

        assertEquals(LongStreams.list(0, 600), ordered);
        assertEquals(LongStreams.list(0, 600), unordered.stream().sorted().toList());
    }

    @Test
    void aFailureInALaterStageReleasesAllMemory() {
        for (long failing : new long[] {0, 1, 300, 599}) {
            DatasetException e =
                    assertThrows(
                            DatasetException.class,
                            () ->
                                    Dataset.fromItems(items(600))
                                            .mapBatches(
                                                    batch -> batch.output().keep("id", "x").build(),
                                                    10)
                                            .mapBatches(
                                                    Doubler::new,
                                                    Set.of(failing),
                                                    7,
                                                    ActorPoolStrategy.size(2))
                                            .withOptions(
                                                    ExecutionOptions.builder()
                                                            .preserveOrder(true)
                                                            .build())
                                            .count());
            assertTrue(e.getMessage().contains("boom at id " + failing), e.getMessage());
            assertEquals(0, e.getSuppressed().length, "no leak: " + List.of(e.getSuppressed()));
        }
    }

    @Test
    void aFunctionThatLeaksArrowMemoryIsReported() {
        DatasetException e =
                assertThrows(
                        DatasetException.class,
                        () ->
                                Dataset.fromItems(items(10))
                                        .mapBatches(
                                                batch -> {
                                                    IntVector forgotten =
                                                            new IntVector(
                                                                    "forgotten", batch.allocator());
                                                    forgotten.allocateNew(10);
                                                    return batch.output().keep("id").build();
                                                },
                                                5)
                                        .count());

        assertTrue(e.getMessage().contains("leaked Arrow memory"), e.getMessage());
    }

    /** Keeps the rows with an even id, by indexing the id column as a tensor (Ray's filter). */
    static VectorSchemaRoot evenRows(Batch batch) {
        NDArray ids = batch.tensor("id");
        NDArray x = batch.tensor("x");
        NDArray even = ids.mod(2).eq(0);
        return batch.output()
                .put("id", ids.booleanMask(even))
                .put("x", x.booleanMask(even))
                .build();
    }

    /** Each row three times, with y = 0, 1, 2 (an exploding function). */
    static VectorSchemaRoot threeOfEach(Batch batch) {
        BigIntVector in = (BigIntVector) batch.root().getVector("id");
        int rows = batch.rowCount() * 3;
        BigIntVector id = new BigIntVector("id", batch.allocator());
        IntVector y = new IntVector("y", batch.allocator());
        id.allocateNew(rows);
        y.allocateNew(rows);
        for (int r = 0; r < rows; r++) {
            id.set(r, in.get(r / 3));
            y.set(r, r % 3);
        }
        id.setValueCount(rows);
        y.setValueCount(rows);
        return batch.output().put("id", id).put("y", y).build();
    }

    @Test
    void aFunctionThatDropsHalfTheRowsWritesExactlyTheRowsItKeeps() throws Exception {
        Path input = dir.resolve("in");
        Dataset.fromItems(items(1000))
                .writeParquet(
                        input.toString(), ParquetWriteOptions.builder().rowsPerFile(300).build());
        Path out = dir.resolve("out");
        List<Progress> progress = new java.util.concurrent.CopyOnWriteArrayList<>();

        WriteResult result =
                Dataset.readParquet(input.toString())
                        .mapBatches(DatasetTest::evenRows, 64)
                        .withOptions(ExecutionOptions.builder().progress(progress::add).build())
                        .writeParquet(out.toString());

        assertEquals(500, result.rowsWritten());
        assertEquals(1000, result.stats().inputRows());
        assertEquals(500, result.stats().operators().get(1).rows(), "map1 counts its output");
        List<Map<String, Object>> rows = Dataset.readParquet(out.toString()).take(2000);
        assertEquals(
                IntStream.range(0, 500).mapToObj(i -> Map.of("id", 2L * i, "x", i * 1.0)).toList(),
                rows.stream()
                        .sorted(java.util.Comparator.comparing(r -> (Long) r.get("id")))
                        .toList());
        Progress last = progress.get(progress.size() - 1);
        assertEquals(500, last.rows());
        assertEquals(1000, last.inputRows());
        assertEquals(1.0, last.fractionDone().getAsDouble(), "progress is measured on input rows");
    }

    @Test
    void aFunctionMayReturnMoreRowsAndOrderHoldsBatchByBatch() {
        Dataset exploded =
                Dataset.fromItems(items(200))
                        .mapBatches(
                                batch -> {
                                    long first =
                                            ((BigIntVector) batch.root().getVector("id")).get(0);
                                    Thread.sleep((first * 7919) % 11);
                                    return threeOfEach(batch);
                                },
                                9)
                        // cuts the exploded batches (27 rows) into pieces of 10 and drops half
                        .mapBatches(
                                batch -> {
                                    NDArray id = batch.tensor("id");
                                    NDArray y = batch.tensor("y");
                                    NDArray keep = y.neq(1);
                                    return batch.output()
                                            .put("id", id.booleanMask(keep))
                                            .put("y", y.booleanMask(keep))
                                            .build();
                                },
                                10)
                        .withOptions(ExecutionOptions.builder().preserveOrder(true).build());

        List<List<Object>> rows = new ArrayList<>();
        try (BatchIterator batches = exploded.iterBatches()) {
            while (batches.hasNext()) {
                VectorSchemaRoot root = batches.next();
                for (int r = 0; r < root.getRowCount(); r++) {
                    rows.add(
                            List.of(
                                    root.getVector("id").getObject(r),
                                    root.getVector("y").getObject(r)));
                }
            }
        }

        List<List<Object>> expected = new ArrayList<>();
        for (long i = 0; i < 200; i++) {
            expected.add(List.of(i, 0));
            expected.add(List.of(i, 2));
        }
        assertEquals(expected, rows);
        assertEquals(400, exploded.count());
    }

    @Test
    void keepingColumnsNeedsOneRowPerInputRowAndSaysSo() {
        DatasetException e =
                assertThrows(
                        DatasetException.class,
                        () ->
                                Dataset.fromItems(items(10))
                                        .mapBatches(
                                                batch ->
                                                        batch.output()
                                                                .put(
                                                                        "x",
                                                                        batch.tensor("x")
                                                                                .get("0:2"))
                                                                .keep("id")
                                                                .build(),
                                                5)
                                        .count());

        assertTrue(
                e.getMessage()
                        .contains(
                                "cannot keep column 'id': it has the batch's 5 rows, but column"
                                        + " 'x' of the output has 2"),
                e.getMessage());
        assertTrue(e.getMessage().contains("one row per input row"), e.getMessage());
    }

    @Test
    void aLaterStageFailingOnAnExplodedBatchRecordsTheInputRowsItCameFrom() {
        Path out = dir.resolve("out");
        WriteResult result =
                Dataset.fromItems(items(20))
                        .mapBatches(DatasetTest::threeOfEach, 5)
                        .mapBatches(
                                batch -> {
                                    BigIntVector id = (BigIntVector) batch.root().getVector("id");
                                    for (int r = 0; r < batch.rowCount(); r++) {
                                        if (id.get(r) == 7) {
                                            throw new IllegalStateException("no 7");
                                        }
                                    }
                                    return batch.output().keep("id", "y").build();
                                },
                                100)
                        .withOptions(ExecutionOptions.builder().maxErroredBatches(1).build())
                        .writeParquet(out.toString());

        assertEquals(45, result.rowsWritten(), "rows of ids 5..9 (15 rows) failed in map2");
        assertEquals(5, result.erroredRows());
        assertEquals(
                Set.of(5L, 6L, 7L, 8L, 9L),
                Dataset.readParquet(out.resolve("_errors").toString()).take(100).stream()
                        .map(r -> (Long) r.get("source_row"))
                        .collect(Collectors.toSet()));
    }

    @Test
    void fromArrowCopiesTheBatchesAndSelectProjects() {
        List<Map<String, Object>> rows;
        try (BufferAllocator allocator = new RootAllocator();
                IntVector a = new IntVector("a", allocator);
                IntVector b = new IntVector("b", allocator)) {
            for (int i = 0; i < 5; i++) {
                a.setSafe(i, i);
                b.setSafe(i, -i);
            }
            VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(a, b));
            root.setRowCount(5);
            Dataset ds = Dataset.fromArrow(root, root).select("b");
            root.clear();
            rows = ds.take(100);
            assertEquals(10, ds.count());
        }
        assertEquals(10, rows.size());
        assertEquals(Map.of("b", -4), rows.get(4));
    }

    @Test
    void iterBatchesStreamsAndStopsEarly() {
        Dataset big =
                Dataset.fromItems(items(5000))
                        .mapBatches(batch -> batch.output().keep("id").build(), 100);
        int seen = 0;
        try (BatchIterator batches = big.iterBatches()) {
            while (batches.hasNext() && seen < 300) {
                VectorSchemaRoot root = batches.next();
                assertTrue(root.getRowCount() <= 100);
                seen += root.getRowCount();
            }
        }
        assertEquals(300, seen);
        assertEquals(3, big.take(3).size());
    }

    @Test
    void writeParquetRefusesANonEmptyDirectoryBeforeRunning() throws Exception {
        Path out = dir.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        Set<String> constructed = ConcurrentHashMap.newKeySet();

        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Dataset.fromItems(items(3))
                                        .mapBatches(
                                                arg -> {
                                                    constructed.add(arg);
                                                    return batch ->
                                                            batch.output().keep("id").build();
                                                },
                                                "x",
                                                2,
                                                ActorPoolStrategy.size(1))
                                        .writeParquet(out.toString()));

        assertTrue(e.getMessage().contains("OVERWRITE"), e.getMessage());
        assertTrue(constructed.isEmpty(), "nothing ran");
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
    }

    @Test
    void writeParquetNeverTouchesItsInputEvenWithOverwrite() throws Exception {
        Path data = dir.resolve("overlap/data");
        Dataset.fromItems(items(6)).writeParquet(data.toString());
        Path part = data.resolve("part-00000.parquet");
        byte[] before = Files.readAllBytes(part);
        Dataset input = Dataset.readParquet(data.toString());
        Dataset glob = Dataset.readParquet(data + "/*.parquet");
        for (Path out :
                List.of(
                        data,
                        data.resolve("."),
                        data.getParent(),
                        data.resolve("scores"),
                        dir.resolve("overlap/link/scores"))) {
            if (out.toString().contains("link")) {
                Files.createDirectories(out.getParent().getParent());
                Files.createSymbolicLink(out.getParent(), data);
            }
            for (Dataset ds : List.of(input, glob)) {
                IllegalArgumentException e =
                        assertThrows(
                                IllegalArgumentException.class,
                                () ->
                                        ds.mapBatches(b -> b.output().keep("id").build(), 2)
                                                .writeParquet(
                                                        out.toString(),
                                                        ParquetWriteOptions.overwrite()));
                assertTrue(e.getMessage().contains(out.toString()), e.getMessage());
                assertTrue(e.getMessage().contains(data.toString()), e.getMessage());
            }
        }
        assertArrayEquals(before, Files.readAllBytes(part));
        try (var files = Files.list(data)) {
            assertEquals(List.of(data.resolve("_SUCCESS"), part), files.sorted().toList());
        }
        try (var siblings = Files.list(data.getParent())) {
            assertEquals(2, siblings.count(), "no staging directory left next to the output");
        }
        assertEquals(6, Dataset.readParquet(dir.resolve("overlap").toString()).count());
        // A sibling of the input is fine.
        assertEquals(
                6, input.writeParquet(dir.resolve("overlap/sibling").toString()).rowsWritten());
    }

    @Test
    void filesWithDifferentSchemasFailNamingBoth() {
        Path mixed = dir.resolve("mixed");
        Dataset.fromItems(items(2)).writeParquet(mixed.resolve("a").toString());
        Dataset.fromItems(List.of(Map.of("id", "text")))
                .writeParquet(mixed.resolve("b").toString());
        DatasetException e =
                assertThrows(
                        DatasetException.class,
                        () -> Dataset.readParquet(mixed.toString()).take(10));
        assertTrue(e.getMessage().contains("has schema"), e.getMessage());
        assertTrue(e.getMessage().contains(mixed.resolve("b").toString()), e.getMessage());
    }

    @Test
    void filesDisagreeingOnAColumnsTypeAreRefusedBeforeAnythingRuns() {
        Path mixed = dir.resolve("mixed");
        Dataset.fromItems(items(2)).writeParquet(mixed.resolve("a").toString());
        Dataset.fromItems(List.of(Map.of("id", 7L, "x", 1.5f, "v", new float[] {1, 2, 3, 4})))
                .writeParquet(mixed.resolve("b").toString());
        Set<String> constructed = ConcurrentHashMap.newKeySet();

        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Dataset.readParquet(mixed.toString())
                                        .select("id", "x")
                                        .mapBatches(
                                                arg -> {
                                                    constructed.add(arg);
                                                    return batch ->
                                                            batch.output().keep("id").build();
                                                },
                                                "x",
                                                2,
                                                ActorPoolStrategy.size(1))
                                        .writeParquet(dir.resolve("out").toString()));

        assertEquals(
                "column 'x' is double in "
                        + mixed.resolve("a/part-00000.parquet")
                        + " but float in "
                        + mixed.resolve("b/part-00000.parquet")
                        + "; give files of one schema (or select columns they share), or read"
                        + " them in separate jobs",
                e.getMessage());
        assertTrue(constructed.isEmpty(), "nothing ran");
        assertFalse(Files.exists(dir.resolve("out")));
        assertEquals(3, Dataset.readParquet(mixed.toString()).select("id").count());
    }

    @Test
    void aPoolIsNoLargerThanTheInputHasBatches() {
        Set<Integer> actors = ConcurrentHashMap.newKeySet();
        WriteResult result =
                Dataset.fromItems(items(40))
                        .mapBatches(
                                arg -> {
                                    actors.add(System.identityHashCode(new Object()));
                                    // Batches start on the first ready actor: holding them until
                                    // four exist lets every actor the pool starts be counted.
                                    return batch -> {
                                        long deadline = System.nanoTime() + 10_000_000_000L;
                                        while (actors.size() < 4 && System.nanoTime() < deadline) {
                                            Thread.sleep(5);
                                        }
                                        return batch.output().keep("id").build();
                                    };
                                },
                                "x",
                                10,
                                ActorPoolStrategy.size(16))
                        .writeParquet(dir.resolve("out").toString());

        assertEquals(40, result.rowsWritten());
        assertEquals(4, actors.size(), "4 batches: 4 actors, not 16");
    }

    @Test
    void anInputWithoutRowsWritesAnEmptyFileWithTheOutputSchemaThatTheNextJobReads()
            throws Exception {
        Path empty = dir.resolve("empty-in");
        Dataset.fromItems(items(5))
                .mapBatches(
                        batch ->
                                batch.output()
                                        .put("id", batch.tensor("id").get("0:0"))
                                        .put("x", batch.tensor("x").get("0:0"))
                                        .build(),
                        5)
                .writeParquet(empty.toString());
        assertEquals(0, Dataset.readParquet(empty.toString()).count());

        Path out = dir.resolve("out");
        WriteResult result =
                Dataset.readParquet(empty.toString())
                        .mapBatches(Doubler::new, Set.<Long>of(), 10, ActorPoolStrategy.size(1))
                        .writeParquet(out.toString());

        assertEquals(List.of(out.resolve("part-00000.parquet").toString()), result.files());
        assertEquals(0, result.rowsWritten());
        Dataset next = Dataset.readParquet(out.toString());
        assertEquals(
                List.of("id", "y"),
                next.schema().getFields().stream().map(f -> f.getName()).toList());
        assertEquals(0, next.count());
        assertEquals(
                List.of("id", "y"),
                Dataset.range(0)
                        .mapBatches(b -> b.output().keep("id").put("y", b.tensor("id")).build(), 4)
                        .schema()
                        .getFields()
                        .stream()
                        .map(f -> f.getName())
                        .toList(),
                "an empty input still gives its output's schema");
    }

    @Test
    void argumentsAreChecked() {
        Dataset ds = Dataset.fromItems(items(3));
        Object notSerializable = new Object();
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        ds.mapBatches(
                                arg -> batch -> batch.root(),
                                notSerializable,
                                2,
                                ActorPoolStrategy.size(1)));
        IllegalArgumentException noCtor =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                ds.mapBatches(
                                        Doubler.class,
                                        List.of("not a set"),
                                        2,
                                        ActorPoolStrategy.size(1)));
        assertTrue(noCtor.getMessage().contains("public constructor"), noCtor.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ActorPoolStrategy.autoscaling(3, 2));
        assertThrows(IllegalArgumentException.class, () -> ds.mapBatches(b -> b.root(), 0));
        assertThrows(
                IllegalStateException.class, () -> ds.mapBatches(b -> b.root(), 2).select("id"));
    }

    private static List<Long> ids(Dataset ds) {
        List<Long> ids = new ArrayList<>();
        try (BatchIterator batches = ds.iterBatches()) {
            while (batches.hasNext()) {
                BigIntVector id = (BigIntVector) batches.next().getVector("id");
                for (int r = 0; r < id.getValueCount(); r++) {
                    ids.add(id.get(r));
                }
            }
        }
        return ids;
    }

    private static final class LongStreams {
        static List<Long> list(long from, long to) {
            return IntStream.range((int) from, (int) to).mapToObj(i -> (long) i).toList();
        }

        static Set<Long> range(long from1, long to1, long from2, long to2) {
            Set<Long> set = new java.util.TreeSet<>(list(from1, to1));
            set.addAll(list(from2, to2));
            return set;
        }
    }
}
