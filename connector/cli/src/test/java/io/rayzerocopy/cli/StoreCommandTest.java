package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.internal.model.LeaseNames;
import io.rayzerocopy.internal.model.WeightStore;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

/** {@code rzc store list} shows partial stores and changes nothing; {@code gc} collects them. */
class StoreCommandTest {
    @Test
    void listShowsAStoreWhoseWriterDiedAndGcRemovesIt() throws Exception {
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Path root = WeightStore.local().root();
        String name = ".tmp-rzc-0123456789abcdef0123456789abcdef-" + dead.pid() + "-1-killed";
        Path partial = Files.createDirectory(root.resolve(name));
        Files.write(partial.resolve("shard-00000.safetensors"), new byte[3 << 20]);

        RzcCliTest.Run list = RzcCliTest.rzc("store", "list");
        assertEquals(0, list.code(), list.err());
        String line = list.out().lines().filter(l -> l.startsWith(name)).findFirst().orElseThrow();
        assertTrue(
                line.contains("3.0")
                        && line.contains("abandoned")
                        && line.contains("pid " + dead.pid())
                        && line.contains("rzc store gc"),
                list.out());
        assertTrue(Files.exists(partial), "list changes nothing");

        RzcCliTest.Run gc = RzcCliTest.rzc("store", "gc");
        assertEquals(0, gc.code(), gc.err());
        assertTrue(gc.out().contains("removed " + partial), gc.out());
        assertFalse(Files.exists(partial));
    }

    @Test
    void gcRemovesTheBatchDirectoriesOfThisUsersKilledJobsOnly() throws Exception {
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Path shm = Path.of("/dev/shm");
        Path killed =
                Files.createDirectory(shm.resolve("rzc-batches-" + dead.pid() + "-1-killed"));
        Files.write(killed.resolve("slot-0"), new byte[4096]);
        Path live = Files.createDirectory(shm.resolve("rzc-batches-" + LeaseNames.newName()));
        Path othersUser =
                Files.createDirectory(shm.resolve("rzc-batches-" + dead.pid() + "-1-other"));
        try {
            boolean root = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
            if (root) {
                Files.setAttribute(othersUser, "unix:uid", 12345);
            }

            RzcCliTest.Run gc = RzcCliTest.rzc("store", "gc");

            assertEquals(0, gc.code(), gc.err());
            assertTrue(gc.out().contains("removed " + killed), gc.out());
            assertFalse(Files.exists(killed));
            assertTrue(Files.exists(live), "a live job's batches stay");
            if (root) {
                assertTrue(Files.exists(othersUser), "another user's directory stays");
            }
        } finally {
            for (Path dir : new Path[] {killed, live, othersUser}) {
                if (Files.exists(dir)) {
                    io.rayzerocopy.internal.FileTrees.deleteTree(dir);
                }
            }
        }
    }
}
