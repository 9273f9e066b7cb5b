package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
