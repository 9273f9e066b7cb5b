package io.rayzerocopy.internal.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.Unwritable;
import io.rayzerocopy.internal.FileTrees;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;

class ParquetSinkTest {
    @TempDir Path dir;
    private BufferAllocator allocator;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void tearDown() {
        allocator.close();
    }

    @Test
    void roundTripsEveryTypeWithExactFilesAndRowGroups() throws Exception {
        Path input = dir.resolve("in.parquet");
        ParquetFixtures.writeAllTypes(input, 250);
        Path out = dir.resolve("out");
        ParquetWriteOptions options =
                ParquetWriteOptions.builder().rowsPerFile(100).rowsPerRowGroup(30).build();

        List<String> files;
        try (ParquetSink sink = ParquetSink.create(out.toString(), options);
                BatchReader reader =
                        ParquetSource.of(List.of(input.toString())).open(allocator, 64)) {
            for (SourceBatch next = reader.next(); next != null; next = reader.next()) {
                try (SourceBatch batch = next) {
                    sink.write(batch.root());
                }
            }
            assertEquals(250, sink.rows());
            files = sink.commit();
        }

        assertEquals(
                List.of(
                        out.resolve("part-00000.parquet").toString(),
                        out.resolve("part-00001.parquet").toString(),
                        out.resolve("part-00002.parquet").toString()),
                files);
        assertEquals(List.of(4, 4, 2), files.stream().map(f -> rowGroups(Path.of(f))).toList());
        List<List<Object>> rows =
                ArrowTestRows.readAll(
                        ParquetSource.of(List.of(out.toString())),
                        allocator,
                        1000,
                        new ArrayList<>());
        for (int r = 0; r < 250; r++) {
            assertEquals(ParquetFixtures.expectedRow(r), rows.get(r), "row " + r);
        }
        List<Group> independent = ParquetFixtures.readWithParquetMr(Path.of(files.get(1)));
        assertEquals(100, independent.size());
        assertEquals("row-101", independent.get(1).getString("s", 0));
        assertEquals(
                1010.0 + 2,
                independent.get(1).getGroup("dl", 0).getGroup("list", 2).getDouble("element", 0));
        try (Stream<Path> siblings = Files.list(dir)) {
            assertEquals(
                    List.of("in.parquet", "out"),
                    siblings.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no staging directory is left behind");
        }
    }

    @Test
    void fixedSizeListsRoundTripAndStayPlainListsForOtherReaders() throws Exception {
        Path out = dir.resolve("emb");
        try (VectorSchemaRoot root = embeddings(5, 4);
                ParquetSink sink =
                        ParquetSink.create(
                                out.toString(),
                                ParquetWriteOptions.builder()
                                        .compression(ParquetWriteOptions.Compression.ZSTD)
                                        .build())) {
            sink.write(root);
            sink.commit();
        }

        ParquetSource source = ParquetSource.of(List.of(out.toString()));
        assertEquals(new ArrowType.FixedSizeList(4), source.schema().findField("emb").getType());
        assertEquals(new ArrowType.FixedSizeList(3), source.schema().findField("embd").getType());
        List<List<Object>> rows = ArrowTestRows.readAll(source, allocator, 2, new ArrayList<>());
        assertEquals(List.of(0, List.of(0f, 0.5f, 1f, 1.5f), List.of(0.0, 0.25, 0.5)), rows.get(0));
        assertEquals(Arrays.asList(2, null, List.of(2.0, 2.25, 2.5)), rows.get(2));
        assertEquals(List.of(4, List.of(4f, 4.5f, 5f, 5.5f), List.of(4.0, 4.25, 4.5)), rows.get(4));
        Path file = out.resolve("part-00000.parquet");
        try (ParquetFileReader reader =
                ParquetFileReader.open(
                        new LocalInputFile(file), ParquetReadOptions.builder().build())) {
            assertEquals(
                    CompressionCodecName.ZSTD,
                    reader.getRowGroups().get(0).getColumns().get(0).getCodec());
        }
        assertEquals(
                4,
                ParquetFixtures.readWithParquetMr(file)
                        .get(1)
                        .getGroup("emb", 0)
                        .getFieldRepetitionCount("list"));
    }

    @Test
    void uncompressedAndSnappyAreReadable() throws Exception {
        for (ParquetWriteOptions.Compression compression :
                ParquetWriteOptions.Compression.values()) {
            Path out = dir.resolve("c-" + compression);
            try (VectorSchemaRoot root = embeddings(3, 2);
                    ParquetSink sink =
                            ParquetSink.create(
                                    out.toString(),
                                    ParquetWriteOptions.builder()
                                            .compression(compression)
                                            .build())) {
                sink.write(root);
                sink.commit();
            }
            assertEquals(
                    3,
                    ArrowTestRows.readAll(
                                    ParquetSource.of(List.of(out.toString())),
                                    allocator,
                                    10,
                                    new ArrayList<>())
                            .size(),
                    compression.toString());
        }
    }

    @Test
    void closingWithoutCommitLeavesNothing() throws Exception {
        Path out = dir.resolve("never");
        try (VectorSchemaRoot root = embeddings(3, 2);
                ParquetSink sink = ParquetSink.create(out.toString(), ParquetWriteOptions.defaults())) {
            sink.write(root);
        }

        assertFalse(Files.exists(out));
        try (Stream<Path> siblings = Files.list(dir)) {
            assertEquals(0, siblings.count());
        }
    }

    @Test
    void existingOutputIsAnErrorUnlessOverwriting() throws Exception {
        Path out = dir.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("old.parquet"), "old");

        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ParquetSink.create(out.toString(), ParquetWriteOptions.defaults()));
        assertTrue(e.getMessage().contains("OVERWRITE"), e.getMessage());

        try (VectorSchemaRoot root = embeddings(3, 2);
                ParquetSink sink =
                        ParquetSink.create(
                                out.toString(),
                                ParquetWriteOptions.builder()
                                        .saveMode(ParquetWriteOptions.SaveMode.OVERWRITE)
                                        .build())) {
            sink.write(root);
            assertTrue(Files.exists(out.resolve("old.parquet")), "old data stays until commit");
            sink.writeSidecar("_errors", root);
            sink.commit();
        }
        try (Stream<Path> files = Files.walk(out)) {
            assertEquals(
                    List.of("_SUCCESS", "_errors/part-00000.parquet", "part-00000.parquet"),
                    files.filter(Files::isRegularFile)
                            .map(p -> out.relativize(p).toString())
                            .sorted()
                            .toList());
        }
    }

    @Test
    void anOutputThatIsASymbolicLinkIsWrittenAtItsTargetAndStaysALink() throws Exception {
        Path target = Files.createDirectories(dir.resolve("volumes/scores"));
        Files.writeString(target.resolve("old.parquet"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("out"), target);
        ParquetWriteOptions overwrite =
                ParquetWriteOptions.builder()
                        .saveMode(ParquetWriteOptions.SaveMode.OVERWRITE)
                        .build();

        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ParquetSink.create(link.toString(), ParquetWriteOptions.defaults()));
        assertTrue(e.getMessage().contains("OVERWRITE"), e.getMessage());
        List<String> files;
        try (VectorSchemaRoot root = embeddings(3, 2);
                ParquetSink sink = ParquetSink.create(link.toString(), overwrite)) {
            sink.write(root);
            files = sink.commit();
        }

        assertTrue(Files.isSymbolicLink(link), "the link is still a link");
        assertEquals(target, Files.readSymbolicLink(link));
        assertEquals(List.of(target.resolve("part-00000.parquet").toString()), files);
        try (Stream<Path> inTarget = Files.list(target)) {
            assertEquals(
                    List.of(target.resolve("_SUCCESS"), target.resolve("part-00000.parquet")),
                    inTarget.sorted().toList());
        }
        try (Stream<Path> siblings = Files.list(dir)) {
            assertEquals(List.of("out", "volumes"),
                    siblings.map(p -> p.getFileName().toString()).sorted().toList());
        }

        Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("nowhere"));
        IllegalArgumentException nowhere =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ParquetSink.create(dangling.toString(), overwrite));
        assertEquals(
                "output "
                        + dangling
                        + " is a symbolic link to "
                        + dir.resolve("nowhere")
                        + ", which does not exist: create that directory, or give another output",
                nowhere.getMessage());
    }

    @Test
    void anOverwriteThatReplacedTheOutputSucceedsEvenIfTheOldOutputCannotBeDeleted()
            throws Exception {
        Path out = dir.resolve("out");
        Path locked = Files.createDirectories(out.resolve("sub"));
        Files.writeString(locked.resolve("old.txt"), "old");
        List<String> files;
        Path backup;
        try (Unwritable unwritable = Unwritable.of(locked)) {
            try (VectorSchemaRoot root = embeddings(3, 2);
                    ParquetSink sink = ParquetSink.create(out.toString(), ParquetWriteOptions.overwrite())) {
                sink.write(root);
                files = sink.commit();
            }
            try (Stream<Path> siblings = Files.list(dir)) {
                List<Path> backups =
                        siblings.filter(p -> p.getFileName().toString().startsWith(".out.rzc-old-"))
                                .toList();
                assertEquals(1, backups.size(), "the old output is left, hidden: " + backups);
                backup = backups.get(0);
            }
            unwritable.movedTo(backup.resolve("sub"));
            assertEquals("old", Files.readString(backup.resolve("sub/old.txt")));
        }
        assertEquals(List.of(out.resolve("part-00000.parquet").toString()), files);
        assertEquals(
                3,
                ArrowTestRows.readAll(
                                ParquetSource.of(List.of(out.toString())),
                                allocator,
                                10,
                                new ArrayList<>())
                        .size(),
                "the new output is in place");
        assertFalse(Files.exists(out.resolve("sub")));
        FileTrees.deleteTree(backup);
    }

    @Test
    void aStagingDirectoryThatCannotBeMadeIsReportedWithTheSystemsReason() throws Exception {
        Path parent = Files.createDirectories(dir.resolve("locked"));
        Path out = parent.resolve("out");
        try (Unwritable unwritable = Unwritable.of(parent)) {
            java.io.UncheckedIOException e =
                    assertThrows(
                            java.io.UncheckedIOException.class,
                            () -> StagingArea.checkCanStage(out.toString()));
            assertTrue(
                    e.getMessage().startsWith("cannot create a staging directory next to " + out),
                    e.getMessage());
            assertTrue(
                    e.getMessage().contains("Operation not permitted")
                            || e.getMessage().contains("Permission denied"),
                    e.getMessage());
            java.io.UncheckedIOException sink =
                    assertThrows(
                            java.io.UncheckedIOException.class,
                            () -> ParquetSink.create(out.toString(), ParquetWriteOptions.defaults()));
            assertEquals(
                    e.getMessage().replaceAll("rzc-tmp-\\S*", ""),
                    sink.getMessage().replaceAll("rzc-tmp-\\S*", ""));
        }
    }

    @Test
    void writingOnlyEmptyBatchesGivesOneReadableEmptyFileWithTheirSchema() throws Exception {
        Path out = dir.resolve("empty");
        try (VectorSchemaRoot root = embeddings(0, 2);
                ParquetSink sink = ParquetSink.create(out.toString(), ParquetWriteOptions.defaults())) {
            sink.write("a", root);
            sink.commitSplit("a");
            assertEquals(List.of(out.resolve("part-00000.parquet").toString()), sink.commit());
        }
        ParquetSource written = ParquetSource.of(List.of(out.toString()));
        assertEquals(OptionalLong.of(0), written.rowCount());
        assertEquals(
                List.of("id", "emb", "embd"),
                written.schema().getFields().stream().map(f -> f.getName()).toList());
        assertEquals(new ArrowType.FixedSizeList(2), written.schema().findField("emb").getType());
    }

    /** Columns id (int), emb (fixed-size list of dim floats, row 2 null), embd (3 doubles). */
    static VectorSchemaRoot embeddings(int rows, int dim) {
        BufferAllocator a = new RootAllocator();
        IntVector id = new IntVector("id", a);
        FixedSizeListVector emb = FixedSizeListVector.empty("emb", dim, a);
        FixedSizeListVector embd = FixedSizeListVector.empty("embd", 3, a);
        emb.addOrGetVector(
                org.apache.arrow.vector.types.pojo.FieldType.nullable(
                        new ArrowType.FloatingPoint(
                                org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE)));
        embd.addOrGetVector(
                org.apache.arrow.vector.types.pojo.FieldType.nullable(
                        new ArrowType.FloatingPoint(
                                org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE)));
        id.allocateNew(rows);
        emb.setInitialCapacity(rows);
        emb.allocateNew();
        embd.setInitialCapacity(rows);
        embd.allocateNew();
        Float4Vector values = (Float4Vector) emb.getDataVector();
        Float8Vector doubles = (Float8Vector) embd.getDataVector();
        for (int r = 0; r < rows; r++) {
            id.set(r, r);
            if (r == 2 && dim == 4) {
                emb.setNull(r);
            } else {
                emb.setNotNull(r);
                for (int j = 0; j < dim; j++) {
                    values.setSafe(r * dim + j, r + j * 0.5f);
                }
            }
            embd.setNotNull(r);
            for (int j = 0; j < 3; j++) {
                doubles.setSafe(r * 3 + j, r + j * 0.25);
            }
        }
        values.setValueCount(rows * dim);
        doubles.setValueCount(rows * 3);
        id.setValueCount(rows);
        emb.setValueCount(rows);
        embd.setValueCount(rows);
        VectorSchemaRoot root =
                new VectorSchemaRoot(List.of(id, emb, embd)) {
                    @Override
                    public void close() {
                        super.close();
                        a.close();
                    }
                };
        root.setRowCount(rows);
        return root;
    }

    private static int rowGroups(Path file) {
        try (ParquetFileReader reader =
                ParquetFileReader.open(
                        new LocalInputFile(file), ParquetReadOptions.builder().build())) {
            return reader.getRowGroups().size();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
