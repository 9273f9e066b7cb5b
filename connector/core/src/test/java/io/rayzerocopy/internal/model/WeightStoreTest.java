package io.rayzerocopy.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.StoreException;
import io.rayzerocopy.Stores;
import io.rayzerocopy.TorchScriptModel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

class WeightStoreTest {
    @TempDir Path root;

    private static WeightStore.Tensor tensor(String name, int n, float seed) {
        ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(seed + i);
        }
        b.flip();
        return new WeightStore.Tensor(name, DataType.FLOAT32, new long[] {n}, b);
    }

    @Test
    void theSameTorchScriptFileGivesTheSameStoreIdSecondsApart() throws Exception {
        Path first = storeDirectoryFor(Fixtures.path("simple_classifier.pt"));
        // Zip entry times have a resolution of two seconds.
        Thread.sleep(2100);
        Path second = storeDirectoryFor(Fixtures.path("simple_classifier.pt"));
        assertEquals(first, second);
    }

    private Path storeDirectoryFor(Path pt) throws Exception {
        try (ModelExtractor.Extracted x =
                TorchScriptExtractor.of(pt, null).extract("", List.of())) {
            assertTrue(
                    x.files().values().iterator().next().length
                            < Files.size(Fixtures.path("simple_classifier.pt")),
                    "a weight-free skeleton was made");
            return WeightStore.at(root).directoryFor(x.tensors(), x.files());
        }
    }

    @Test
    void layoutIsAlignedShardedSafetensorsAndReadOnly() throws Exception {
        WeightStore store = WeightStore.at(root, 8192);
        List<WeightStore.Tensor> tensors =
                List.of(tensor("a", 3, 0), tensor("b", 1100, 10), tensor("c", 1000, 100));
        try (WeightStore.Lease lease =
                store.write(tensors, Map.of("skeleton.pt", new byte[] {1, 2, 3}))) {
            StoreRef ref = lease.ref();
            assertEquals(
                    2, ref.shardSizes().size(), "c does not fit next to a and b in an 8 KiB shard");
            for (TensorSpec t : ref.tensors()) {
                assertEquals(0, t.offset() % 64, t + " is not 64-byte aligned");
            }
            // Each shard is standard safetensors: our reader (and any other) gets the values back.
            List<SafeTensors.Entry> shard0 =
                    SafeTensors.read(StoreLayout.shardPath(store.directory(ref), 0));
            assertEquals(
                    List.of("a", "b"),
                    shard0.stream().map(SafeTensors.Entry::name).sorted().toList());
            ByteBuffer b =
                    shard0.stream().filter(e -> e.name().equals("b")).findFirst().get().data();
            assertEquals(10f + 1099, b.getFloat(1099 * 4));
            assertEquals(
                    "r-x------",
                    PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(store.directory(ref))));
            assertEquals(
                    "r--------",
                    PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(
                                    StoreLayout.shardPath(store.directory(ref), 0))));
            store.verify(ref);
            try (MappedStore mapped = store.open(ref)) {
                assertEquals(100f + 4, mapped.tensor(mapped.spec("c")).getFloat(16));
            }
        }
    }

    @Test
    void identicalWeightsAreWrittenOncePerMachine() {
        WeightStore store = WeightStore.at(root);
        try (WeightStore.Lease first = store.write(List.of(tensor("w", 16, 1)), Map.of());
                WeightStore.Lease second = store.write(List.of(tensor("w", 16, 1)), Map.of());
                WeightStore.Lease other = store.write(List.of(tensor("w", 16, 2)), Map.of())) {
            assertEquals(store.directory(first.ref()), store.directory(second.ref()));
            assertNotEquals(store.directory(first.ref()), store.directory(other.ref()));
            assertEquals(2, store.list().size());
        }
        assertEquals(
                0, store.list().size(), "stores are removed when their last lease is released");
    }

    @Test
    void truncatedMissingAndCorruptedStoresAreNamed() throws Exception {
        WeightStore store = WeightStore.at(root);
        try (WeightStore.Lease lease = store.write(List.of(tensor("w", 1000, 1)), Map.of())) {
            StoreRef ref = lease.ref();
            Path shard = StoreLayout.shardPath(store.directory(ref), 0);
            Files.setPosixFilePermissions(
                    store.directory(ref), PosixFilePermissions.fromString("rwx------"));
            Files.setPosixFilePermissions(shard, PosixFilePermissions.fromString("rw-------"));
            try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
                f.seek(f.length() - 1);
                f.write(42);
            }
            StoreException corrupted = assertThrows(StoreException.class, () -> store.verify(ref));
            assertTrue(corrupted.getMessage().contains("corrupted"), corrupted.getMessage());
            try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
                f.setLength(f.length() - 100);
            }
            StoreException truncated = assertThrows(StoreException.class, () -> store.open(ref));
            assertTrue(
                    truncated.getMessage().contains(shard.toString())
                            && truncated.getMessage().contains("truncated"),
                    truncated.getMessage());
            // Adopting a corrupted store replaces it with a good one.
            try (WeightStore.Lease again = store.write(List.of(tensor("w", 1000, 1)), Map.of())) {
                store.verify(again.ref());
            }
        }
    }

    @Test
    void storeWritableByOthersIsRefused() throws Exception {
        WeightStore store = WeightStore.at(root);
        try (WeightStore.Lease lease = store.write(List.of(tensor("w", 8, 1)), Map.of())) {
            Path shard = StoreLayout.shardPath(store.directory(lease.ref()), 0);
            Files.setPosixFilePermissions(shard, PosixFilePermissions.fromString("r---w-r--"));
            StoreException e = assertThrows(StoreException.class, () -> store.open(lease.ref()));
            assertTrue(
                    e.getMessage().contains(shard.toString())
                            && e.getMessage().contains("read-only"),
                    e.getMessage());
            Files.setPosixFilePermissions(shard, PosixFilePermissions.fromString("r--------"));
        }
    }

    @Test
    void leasesOfDeadProcessesAreCollected() throws Exception {
        WeightStore store = WeightStore.at(root);
        WeightStore.Lease lease = store.write(List.of(tensor("w", 8, 1)), Map.of());
        Path leaseDir = root.resolve("leases").resolve(lease.ref().id());
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Files.createFile(leaseDir.resolve(dead.pid() + "-1-crashed"));
        assertEquals(List.of(), store.gc(), "a live lease keeps the store");
        try (Stream<Path> s = Files.list(leaseDir)) {
            assertEquals(1, s.count(), "the dead process's lease was collected");
        }
        // Simulate this process crashing too: drop its lease file without releasing.
        try (Stream<Path> s = Files.list(leaseDir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.move(p, leaseDir.resolve(dead.pid() + "-1-" + p.getFileName()));
            }
        }
        assertEquals(List.of(store.directory(lease.ref())), store.gc());
        assertFalse(Files.exists(store.directory(lease.ref())));
    }

    @Test
    void skeletonAndWeightsOfDifferentModelsAreRefusedNamingTheParameter() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                ModelWrapper.fromModel(
                                        TorchScriptModel.fromSkeleton(
                                                Fixtures.path("encoder.pt"),
                                                Fixtures.path("simple_classifier.safetensors")),
                                        Mode.ACTOR));
        assertTrue(e.getMessage().contains("network.0.weight"), e.getMessage());
    }

    @Test
    void storeDeletedUnderALiveWrapperIsNamed() throws Exception {
        try (ModelWrapper<Model> wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("no_params.pt")), Mode.ACTOR)) {
            Path dir = Stores.directory(wrapper);
            WeightStore.discard(dir);
            StoreException e = assertThrows(StoreException.class, wrapper::load);
            assertTrue(
                    e.getMessage().contains(dir.toString())
                            && e.getMessage().contains("re-create the wrapper"),
                    e.getMessage());
        }
    }

    @Test
    void modelLoadedBeforeStoreDeletionKeepsWorking() throws Exception {
        try (ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(
                                TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                                Mode.ACTOR);
                Model model = wrapper.load();
                NDManager manager = NDManager.newBaseManager()) {
            WeightStore.discard(Stores.directory(wrapper));
            System.gc();
            NDList out =
                    model.getBlock()
                            .forward(
                                    new ParameterStore(manager, false),
                                    new NDList(
                                            Fixtures.refArray(
                                                    manager, "simple_classifier", "input")),
                                    false);
            assertTrue(
                    Fixtures.maxAbsDiff(
                                    out.singletonOrThrow(),
                                    Fixtures.ref("simple_classifier", "output"))
                            <= 1e-6);
        }
    }

    @Test
    void storeRootOwnedByAnotherUserOrLinkIsRefused() throws IOException {
        Path target = Files.createDirectory(root.resolve("real"));
        Path link = Files.createSymbolicLink(root.resolve("link"), target);
        List<String> messages = new ArrayList<>();
        try {
            WeightStore.at(link);
        } catch (RuntimeException e) {
            messages.add(e.getMessage());
        }
        assertEquals(1, messages.size());
        assertTrue(messages.get(0).contains("symbolic link"), messages.get(0));
    }
}
