package io.rayzerocopy.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.RefJson;
import io.rayzerocopy.TorchScriptModel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Models as large as the machine (issue #25): files, records and tensors past 2 and 4 GB as sparse
 * files (a few pages on disk), streaming extraction and its errors, and a store id that depends on
 * content alone (issue #19).
 */
class LargeModelsTest {
    /** On disk, not /dev/shm: the sparse files below are a few KB there whatever their size. */
    @TempDir Path tmp;

    private static final long TWO_GB = 1L << 31;

    @Test
    void aTensorPastTwoGigabytesIsMappedWholeAndBoundWithoutACopy() throws Exception {
        long n = 560_000_000L; // 2.24 GB of float32
        long offset = 64;
        Path dir = Files.createDirectory(tmp.resolve("store"));
        long[] probes = {0, (TWO_GB + 4096) / 4, n - 1};
        try (FileChannel ch =
                FileChannel.open(
                        StoreLayout.shardPath(dir, 0),
                        StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE)) {
            for (long i : probes) {
                ByteBuffer v = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                ch.write(v.putFloat(i + 0.5f).flip(), offset + i * 4);
            }
        }
        TensorSpec spec = new TensorSpec("big", "F32", new long[] {n}, 0, offset, n * 4);
        StoreRef ref =
                new StoreRef("rzc-test", "0", List.of(spec), List.of(offset + n * 4), Map.of());
        try (MappedStore store = MappedStore.map(ref, dir, () -> {});
                NDManager manager = NDManager.newBaseManager()) {
            // A stride-0 expand of one element, as a skeleton's parameter is: no 2.24 GB copy.
            PtNDArray param = (PtNDArray) manager.create(0f).broadcast(new Shape(n));
            TorchTypes.bind(param, store.tensor(spec));
            for (long i : probes) {
                assertEquals(i + 0.5f, param.get(new NDIndex(i)).getFloat(), "element " + i);
            }
        }
    }

    @Test
    void aTensorLargerThanAShardGetsAShardOfItsOwn() {
        ByteBuffer big = ByteBuffer.allocate(4096);
        ByteBuffer small = ByteBuffer.allocate(64);
        StoreLayout.Plan plan =
                StoreLayout.plan(
                        List.of(
                                new WeightStore.Tensor(
                                        "a", DataType.FLOAT32, new long[] {16}, small),
                                new WeightStore.Tensor(
                                        "big", DataType.FLOAT32, new long[] {1024}, big),
                                new WeightStore.Tensor(
                                        "b", DataType.FLOAT32, new long[] {16}, small)),
                        1024);
        assertEquals(List.of(0, 1, 2), plan.specs.stream().map(TensorSpec::shard).toList());
    }

    @Test
    void aSafetensorsFilePastTwoGigabytesIsReadHeaderFirst() throws Exception {
        long bytes = TWO_GB + 1024;
        String json =
                "{\"w\":{\"dtype\":\"F32\",\"shape\":["
                        + bytes / 4
                        + "],\"data_offsets\":[0,"
                        + bytes
                        + "]}}";
        Path file = tmp.resolve("big.safetensors");
        try (FileChannel ch =
                FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer head = ByteBuffer.allocate(8 + json.length()).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(json.length()).put(json.getBytes(StandardCharsets.UTF_8)).flip();
            ch.write(head, 0);
            ch.write(ByteBuffer.allocate(1), 8 + json.length() + bytes - 1);
        }
        List<SafeTensors.Entry> entries = SafeTensors.read(file);
        assertEquals(1, entries.size());
        assertEquals(bytes, entries.get(0).bytes().size());
    }

    @Test
    void zip64RecordsPastFourGigabytesAreLocated() throws Exception {
        Path file = tmp.resolve("zip64.pt");
        long big = (5L << 30) + 3;
        long[] offsets = writeZip64(file, Map.of("m/data.pkl", 10L, "m/data/0", big));
        ZipRecords zip = ZipRecords.open(file);
        ZipRecords.Record r = zip.records().get("m/data/0");
        assertEquals(big, r.size());
        assertEquals(offsets[1], r.dataOffset());
        assertEquals(offsets[0], zip.records().get("m/data.pkl").dataOffset());
        // The same archive without its last bytes (the end records) is named as truncated.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 30);
        }
        IOException e = assertThrows(IOException.class, () -> ZipRecords.open(file));
        assertTrue(
                e.getMessage().contains(file + " (" + Files.size(file) + " bytes)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void aTruncatedTorchScriptFileIsNamedWithItsSize() throws Exception {
        Path pt = tmp.resolve("cut.pt");
        byte[] whole = Files.readAllBytes(Fixtures.path("simple_classifier.pt"));
        Files.write(pt, java.util.Arrays.copyOf(whole, whole.length / 2));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TorchScriptExtractor.of(pt, null).extract("", List.of()));
        assertTrue(
                e.getMessage().contains(pt + " (" + whole.length / 2 + " bytes)")
                        && e.getMessage().contains("truncated"),
                e.getMessage());
    }

    @Test
    void aParameterWhoseBytesRunPastItsRecordIsNamedWithTheSizes() throws Exception {
        Path pt = tmp.resolve("short.pt");
        String shortened = rewriteWithShortRecord(Fixtures.path("simple_classifier.pt"), pt);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TorchScriptExtractor.of(pt, null).extract("", List.of()));
        assertTrue(
                e.getMessage().contains("parameter 'network.")
                        && e.getMessage().contains("of record " + shortened)
                        && e.getMessage().contains("needs bytes 0 to "),
                e.getMessage());
    }

    @Test
    void extractedTensorsAreByteRangesOfTheFileEqualToPythonsWeights() throws Exception {
        Map<String, ByteBuffer> python = new LinkedHashMap<>();
        for (SafeTensors.Entry e :
                SafeTensors.read(Fixtures.path("simple_classifier.safetensors"))) {
            python.put(e.name(), e.data());
        }
        try (ModelExtractor.Extracted x =
                TorchScriptExtractor.of(Fixtures.path("simple_classifier.pt"), null)
                        .extract("", List.of())) {
            assertEquals(python.keySet(), Map.copyOf(names(x)).keySet());
            for (WeightStore.Tensor t : x.tensors()) {
                assertEquals(
                        HexDigest.of(python.get(t.name())),
                        HexDigest.of(t.bytes().sha256(null)),
                        t.name());
            }
        }
    }

    @Test
    void theSameBytesUnderTwoPathsOrASymlinkMakeOneStore() throws Exception {
        Path a = Files.copy(Fixtures.path("simple_classifier.pt"), tmp.resolve("a.pt"));
        Path b = Files.copy(a, tmp.resolve("renamed-model.pt"));
        Path link = Files.createSymbolicLink(tmp.resolve("link.pt"), a);
        try (ModelWrapper<Model> wa =
                        ModelWrapper.fromModel(TorchScriptModel.fromFile(a), Mode.ACTOR);
                ModelWrapper<Model> wb =
                        ModelWrapper.fromModel(TorchScriptModel.fromFile(b), Mode.ACTOR);
                ModelWrapper<Model> wl =
                        ModelWrapper.fromModel(TorchScriptModel.fromFile(link), Mode.ACTOR)) {
            assertEquals(wa.storeId(), wb.storeId());
            assertEquals(wa.storeId(), wl.storeId());
        }
    }

    @Test
    void aFilesDigestIsCachedByInodeSizeAndTimeAndRecomputedWhenItChanges() throws Exception {
        Path file = Files.copy(Fixtures.path("simple_classifier.pt"), tmp.resolve("m.pt"));
        Path cache = tmp.resolve("digests");
        TensorBytes range = TensorBytes.ofFile(file, 100, 400);
        byte[] first = range.sha256(cache);
        try (Stream<Path> entries = Files.list(cache)) {
            assertEquals(
                    1, entries.filter(p -> !p.getFileName().toString().startsWith(".")).count());
        }
        assertEquals(HexDigest.of(first), HexDigest.of(range.sha256(cache)));
        assertEquals(HexDigest.of(first), HexDigest.of(range.sha256(null)));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {42}), 200);
        }
        Files.setLastModifiedTime(
                file,
                java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        assertNotEquals(HexDigest.of(first), HexDigest.of(range.sha256(cache)));
        assertEquals(HexDigest.of(range.sha256(null)), HexDigest.of(range.sha256(cache)));
    }

    @Test
    void theMemoryLineShowsWholeProcessPssBesideTheStores() throws Exception {
        try (ModelWrapper<Model> w =
                        ModelWrapper.fromModel(
                                TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                                Mode.ACTOR);
                Model model = w.load()) {
            StoreMemory m = StoreMemory.measure(WeightStore.local().ref(w.storeId()));
            assertEquals(1, m.holders());
            assertTrue(m.processPssBytes() > m.mappedPssBytes(), m.toString());
            assertTrue(
                    m.anonPssBytes() > 0 && m.anonPssBytes() < m.processPssBytes(), m.toString());
            assertTrue(m.toString().contains("whole PSS of the job's 1 process(es)"), m.toString());
        }
    }

    /**
     * A store is unmapped as soon as its last model closes, while the skeleton stays loaded for
     * reuse (pointing at the old pages): loading again binds it afresh, never reading those pages
     * (a bfloat16 parameter's element size is taken without reading it).
     */
    @Test
    void aModelLoadedAgainAfterItsStoreWasUnmappedGivesPythonsOutputs() throws Exception {
        RefJson ref = new RefJson("bf16_mlp");
        try (ModelWrapper<Model> w =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("bf16_mlp.pt")), Mode.ACTOR)) {
            for (int round = 0; round < 3; round++) {
                try (Model model = w.load();
                        NDManager manager = NDManager.newBaseManager()) {
                    List<double[]> x = ref.input("x");
                    float[][] input = new float[x.size()][];
                    for (int r = 0; r < input.length; r++) {
                        input[r] = new float[x.get(r).length];
                        for (int c = 0; c < input[r].length; c++) {
                            input[r][c] = (float) x.get(r)[c];
                        }
                    }
                    NDArray out =
                            model.getBlock()
                                    .forward(
                                            new ParameterStore(manager, false),
                                            new NDList(manager.create(input)),
                                            false)
                                    .singletonOrThrow()
                                    .toType(DataType.FLOAT32, false);
                    float[] got = out.toFloatArray();
                    List<double[]> expected = ref.output("0");
                    int cols = expected.get(0).length;
                    for (int r = 0; r < expected.size(); r++) {
                        for (int c = 0; c < cols; c++) {
                            assertEquals(
                                    expected.get(r)[c], got[r * cols + c], 0, "round " + round);
                        }
                    }
                }
            }
        }
    }

    private static Map<String, Long> names(ModelExtractor.Extracted x) {
        Map<String, Long> out = new LinkedHashMap<>();
        x.tensors().forEach(t -> out.put(t.name(), t.byteSize()));
        return out;
    }

    /** Hex of a digest or of a buffer's SHA-256, for readable assertions. */
    private static final class HexDigest {
        static String of(byte[] digest) {
            return java.util.HexFormat.of().formatHex(digest);
        }

        static String of(ByteBuffer data) throws Exception {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(data.duplicate());
            return of(md.digest());
        }
    }

    /**
     * Copies a TorchScript zip with the largest data record cut to half its size (stored, as
     * TorchScript writes them); returns that record's name.
     */
    private static String rewriteWithShortRecord(Path from, Path to) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        String largest = null;
        try (ZipFile zip = new ZipFile(from.toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                byte[] data = zip.getInputStream(e).readAllBytes();
                entries.put(e.getName(), data);
                if (e.getName().contains("/data/")
                        && (largest == null || data.length > entries.get(largest).length)) {
                    largest = e.getName();
                }
            }
        }
        byte[] data = entries.get(largest);
        entries.put(largest, java.util.Arrays.copyOf(data, data.length / 2));
        Files.write(to, TorchScriptSkeletons.writeZip(entries));
        return largest;
    }

    /**
     * Writes a sparse ZIP64 archive of stored records of the given sizes (their bytes are holes;
     * sizes, offsets and the directory's position in ZIP64 fields), returning each record's data
     * offset in order.
     */
    private static long[] writeZip64(Path file, Map<String, Long> records) throws IOException {
        Map<String, Long> ordered = new java.util.TreeMap<>(records);
        long[] dataOffsets = new long[ordered.size()];
        ByteArrayOutputStream central = new ByteArrayOutputStream();
        long pos = 0;
        int i = 0;
        try (FileChannel ch =
                FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (Map.Entry<String, Long> r : ordered.entrySet()) {
                byte[] name = r.getKey().getBytes(StandardCharsets.UTF_8);
                ByteBuffer local = le(30 + name.length + 20);
                local.putInt(0x04034b50).putShort((short) 45).putShort((short) 0);
                local.putShort((short) 0).putInt(0).putInt(0);
                local.putInt(-1).putInt(-1).putShort((short) name.length).putShort((short) 20);
                local.put(name).putShort((short) 1).putShort((short) 16);
                local.putLong(r.getValue()).putLong(r.getValue());
                ch.write(local.flip(), pos);
                dataOffsets[i++] = pos + local.limit();
                ByteBuffer entry = le(46 + name.length + 28);
                entry.putInt(0x02014b50).putShort((short) 45).putShort((short) 45);
                entry.putShort((short) 0).putShort((short) 0).putInt(0).putInt(0);
                entry.putInt(-1).putInt(-1).putShort((short) name.length).putShort((short) 28);
                entry.putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0);
                entry.putInt(-1).put(name).putShort((short) 1).putShort((short) 24);
                entry.putLong(r.getValue()).putLong(r.getValue()).putLong(pos);
                central.write(entry.array());
                pos += local.limit() + r.getValue();
            }
            byte[] cd = central.toByteArray();
            ch.write(ByteBuffer.wrap(cd), pos);
            long zip64End = pos + cd.length;
            ByteBuffer end = le(56 + 20 + 22);
            end.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45);
            end.putInt(0).putInt(0).putLong(ordered.size()).putLong(ordered.size());
            end.putLong(cd.length).putLong(pos);
            end.putInt(0x07064b50).putInt(0).putLong(zip64End).putInt(1);
            end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0);
            end.putShort((short) -1).putShort((short) -1).putInt(-1).putInt(-1).putShort((short) 0);
            ch.write(end.flip(), zip64End);
        }
        return dataOffsets;
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
