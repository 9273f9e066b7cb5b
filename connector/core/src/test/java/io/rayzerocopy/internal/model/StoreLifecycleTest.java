package io.rayzerocopy.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;

import io.rayzerocopy.StoreException;
import io.rayzerocopy.internal.exec.JvmLauncher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** A store's life on one machine: listing, killed writers, full directories, references. */
class StoreLifecycleTest {
    @TempDir Path tmp;

    private static WeightStore.Tensor tensor(String name, int floats, float seed) {
        ByteBuffer b = ByteBuffer.allocate(floats * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < floats; i++) {
            b.putFloat(seed + i);
        }
        b.flip();
        return new WeightStore.Tensor(name, DataType.FLOAT32, new long[] {floats}, b);
    }

    private static long deadPid() throws Exception {
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        return dead.pid();
    }

    /** The stores, partial stores and trash under a store directory. */
    private static List<String> stores(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(
                            n ->
                                    n.startsWith("rzc-")
                                            || n.startsWith(".tmp-")
                                            || n.startsWith(".trash-"))
                    .sorted()
                    .toList();
        }
    }

    @Test
    void listChangesNothingAndCountsOnlyLiveLeases() throws Exception {
        WeightStore store = WeightStore.at(tmp.resolve("stores"));
        try (WeightStore.Lease lease = store.write(List.of(tensor("w", 8, 1)), Map.of())) {
            Path leases = tmp.resolve("stores/leases").resolve(lease.ref().id());
            Path dead = Files.createFile(leases.resolve(deadPid() + "-1-crashed"));
            List<WeightStore.Info> infos = store.list();
            assertEquals(1, infos.size());
            assertEquals(1, infos.get(0).liveLeases(), "the dead process's lease is not counted");
            assertEquals(WeightStore.State.IN_USE, infos.get(0).state());
            assertTrue(Files.exists(dead), "listing deleted a lease file");
            store.gc();
            assertFalse(Files.exists(dead), "gc collects the dead process's lease");
        }
    }

    @Test
    void aWriterKilledMidWriteIsListedAndItsPartialStoreCollectedAtOnce() throws Exception {
        Path source = tmp.resolve("source");
        Path target = tmp.resolve("target");
        Process child =
                JvmLauncher.start(
                        StoreChild.class.getName(),
                        List.of("-Xmx256m"),
                        List.of("stall", source.toString(), target.toString()));
        try {
            BufferedReader out =
                    new BufferedReader(
                            new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("writing", out.readLine(), "the child stopped mid-write");
            WeightStore store = WeightStore.at(target);
            List<WeightStore.Info> writing = store.list();
            assertEquals(1, writing.size(), "the partial store is listed");
            assertEquals(WeightStore.State.WRITING, writing.get(0).state());
            assertEquals(child.pid(), writing.get(0).writerPid());
            assertTrue(writing.get(0).bytes() >= 1 << 20, "2 MB of 4 written");
            assertEquals(List.of(), store.gc(), "a live writer's partial store is kept");

            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            assertEquals(137, child.exitValue(), "killed by SIGKILL");

            List<WeightStore.Info> abandoned = store.list();
            assertEquals(1, abandoned.size());
            assertEquals(WeightStore.State.ABANDONED, abandoned.get(0).state());
            assertEquals(List.of(abandoned.get(0).directory()), store.gc());
            assertEquals(List.of(), stores(target), "nothing of the write is left");
            List<Path> collected = WeightStore.at(source).gc();
            assertEquals(1, collected.size(), "the dead child's store is collected: " + collected);
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aFullStoreDirectoryNamesTheSizeNeededAndRzcStoreDir() throws Exception {
        Path mount = Files.createDirectory(tmp.resolve("small"));
        try (Tmpfs fs = Tmpfs.mount(mount, "1m")) {
            WeightStore store = WeightStore.at(mount.resolve("stores"));
            StoreException e =
                    assertThrows(
                            StoreException.class,
                            () -> store.write(List.of(tensor("w", 512 << 10, 1)), Map.of()));
            assertTrue(
                    e.getMessage().contains(store.root().toString())
                            && e.getMessage().contains("needs 2.0 MB")
                            && e.getMessage().contains("RZC_STORE_DIR")
                            && e.getMessage().contains("-Drzc.store.dir"),
                    e.getMessage());
            assertEquals(List.of(), stores(store.root()), "nothing was written");
        }
    }

    @Test
    void runningOutOfSpaceWhileMaterializingNamesTheSizeNeeded() throws Exception {
        WeightStore source = WeightStore.at(tmp.resolve("source"));
        Path mount = Files.createDirectory(tmp.resolve("small"));
        try (Tmpfs fs = Tmpfs.mount(mount, "1m");
                WeightStore.Lease lease =
                        source.write(List.of(tensor("w", 128 << 10, 1)), Map.of())) {
            WeightStore store = WeightStore.at(mount.resolve("stores"));
            Path filler = mount.resolve("filler");
            // Another process takes the space between the check for room and the copy.
            Runnable fill =
                    () -> {
                        try (RandomAccessFile f = new RandomAccessFile(filler.toFile(), "rw")) {
                            byte[] block = new byte[64 << 10];
                            while (true) {
                                f.write(block);
                            }
                        } catch (IOException full) {
                            // the file system is full now
                        }
                    };
            StoreException e =
                    assertThrows(
                            StoreException.class,
                            () ->
                                    store.materialize(
                                            lease.ref(),
                                            new DirectorySource(source, lease.ref(), fill)));
            assertTrue(
                    e.getMessage().contains(store.root().toString())
                            && e.getMessage().contains("(" + lease.ref().diskBytes() + " bytes)")
                            && e.getMessage().contains("RZC_STORE_DIR"),
                    e.getMessage());
            assertEquals(List.of(), stores(store.root()), "no partial store is left");
            Files.delete(filler);
        }
    }

    @Test
    void concurrentMaterializersOfOneDirectoryWaitForOneWriterAndLeaveNothingBehind()
            throws Exception {
        WeightStore driver = WeightStore.at(tmp.resolve("driver-concurrent"));
        WeightStore node = WeightStore.at(tmp.resolve("node-concurrent"));
        try (WeightStore.Lease lease = driver.write(List.of(tensor("w", 64 << 10, 3)), Map.of())) {
            AtomicInteger copies = new AtomicInteger();
            DirectorySource source =
                    new DirectorySource(
                            driver,
                            lease.ref(),
                            () -> {
                                copies.incrementAndGet();
                                sleep(200); // the others arrive while the writer copies
                            });
            ExecutorService threads = Executors.newFixedThreadPool(3);
            List<Future<WeightStore.Lease>> leases = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                leases.add(threads.submit(() -> node.materialize(lease.ref(), source)));
            }
            List<WeightStore.Lease> taken = new ArrayList<>();
            for (Future<WeightStore.Lease> f : leases) {
                taken.add(f.get(30, TimeUnit.SECONDS));
            }
            threads.shutdown();
            assertEquals(source.files().size(), copies.get(), "one writer copied each file once");
            assertEquals(List.of(lease.ref().id()), stores(node.root()));
            try (Stream<Path> held = Files.list(node.root().resolve("leases").resolve(lease.ref().id()))) {
                assertEquals(3, held.count(), "each materializer holds a lease");
            }
            try (Stream<Path> s = Files.list(node.root())) {
                assertEquals(
                        List.of(),
                        s.map(p -> p.getFileName().toString())
                                .filter(n -> n.startsWith(".materialize-"))
                                .toList(),
                        "no lock file is left");
            }
            taken.forEach(WeightStore.Lease::close);
            assertEquals(List.of(), stores(node.root()), "the last lease removed the copy");
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aStoreReferenceNamesTheStoreAndEachProcessFindsItInItsOwnDirectory() throws Exception {
        WeightStore driver = WeightStore.at(tmp.resolve("driver-user"));
        WeightStore node = WeightStore.at(tmp.resolve("node-user"));
        try (WeightStore.Lease lease = driver.write(List.of(tensor("w", 1000, 7)), Map.of())) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
                o.writeObject(lease.ref());
            }
            String serialized = bytes.toString(StandardCharsets.ISO_8859_1);
            assertFalse(
                    serialized.contains("driver-user") || serialized.contains(tmp.toString()),
                    "a shipped reference carries no directory of the driver");
            StoreRef shipped;
            try (ObjectInputStream in =
                    new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                shipped = (StoreRef) in.readObject();
            }
            node.materialize(shipped, new DirectorySource(driver, lease.ref(), () -> {}));
            try (MappedStore mapped = node.open(shipped)) {
                assertEquals(node.root().resolve(shipped.id()), mapped.directory());
                assertEquals(7f + 999, mapped.tensor(mapped.spec("w")).getFloat(999 * 4));
            }
        }
    }
}
