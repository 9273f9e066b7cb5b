package io.rayzerocopy.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;

import io.rayzerocopy.StoreException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

/** Which store directory a process uses, also when another user squats the default one. */
class StoreRootsTest {
    @TempDir Path tmp;

    /**
     * Another local user creates {@code dir} first: as root, a directory owned by another uid;
     * otherwise one anyone may write (refused the same way).
     */
    private static Path squat(Path dir) throws Exception {
        Files.createDirectories(dir);
        if (StoreChecks.uid() == 0) {
            Files.setAttribute(dir, "unix:uid", 4243);
        } else {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        return dir;
    }

    private Path shm() throws Exception {
        return Files.createDirectories(tmp.resolve("shm"));
    }

    @Test
    void theDefaultDirectoryIsNamedByTheNumericUid() throws Exception {
        StoreRoots roots = new StoreRoots(null, shm(), null, tmp.resolve("t"), 4242);
        assertEquals(tmp.resolve("shm/ray-zerocopy-4242"), roots.candidates().get(0));
        assertEquals(tmp.resolve("shm/ray-zerocopy-4242"), roots.preferred());
        StoreRoots configured = new StoreRoots("/data/stores", shm(), "/run/user/4242", tmp, 4242);
        assertEquals(List.of(Path.of("/data/stores")), configured.candidates());
    }

    @Test
    void aSquattedDefaultDirectoryFallsBackToXdgRuntimeDir() throws Exception {
        Path squatted = squat(shm().resolve("ray-zerocopy-" + StoreChecks.uid()));
        Path xdg = Files.createDirectory(tmp.resolve("xdg"));
        StoreRoots roots =
                new StoreRoots(null, shm(), xdg.toString(), tmp.resolve("t"), StoreChecks.uid());
        assertEquals(xdg.resolve("ray-zerocopy"), roots.preferred());
        assertFalse(Files.exists(xdg.resolve("ray-zerocopy")), "finding it creates nothing");
        WeightStore store = roots.open();
        assertEquals(xdg.resolve("ray-zerocopy"), store.root());
        try (WeightStore.Lease lease =
                store.write(
                        List.of(
                                new WeightStore.Tensor(
                                        "w",
                                        DataType.INT8,
                                        new long[] {3},
                                        ByteBuffer.allocate(3))),
                        Map.of())) {
            assertTrue(Files.isDirectory(store.directory(lease.ref())));
        }
        try (var s = Files.list(squatted)) {
            assertEquals(0, s.count(), "the squatter's directory is left alone");
        }
    }

    @Test
    void withoutXdgRuntimeDirTheFallbackIsAPrivateDirectoryUnderTheTempDirectory()
            throws Exception {
        squat(shm().resolve("ray-zerocopy-" + StoreChecks.uid()));
        Path tmpDir = Files.createDirectory(tmp.resolve("t"));
        WeightStore store = new StoreRoots(null, shm(), null, tmpDir, StoreChecks.uid()).open();
        Path expected = tmpDir.resolve("ray-zerocopy-" + StoreChecks.uid());
        assertEquals(expected, store.root());
        assertEquals(
                "rwx------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(expected)));
    }

    @Test
    void aSquattedConfiguredDirectoryIsRefusedNamingTheFix() throws Exception {
        Path squatted = squat(tmp.resolve("configured"));
        StoreException e =
                assertThrows(
                        StoreException.class,
                        () ->
                                new StoreRoots(
                                                squatted.toString(),
                                                shm(),
                                                null,
                                                tmp,
                                                StoreChecks.uid())
                                        .open());
        assertTrue(
                e.getMessage().contains(squatted.toString())
                        && e.getMessage().contains("RZC_STORE_DIR"),
                e.getMessage());
    }

    @Test
    void whenEveryCandidateIsSquattedTheErrorNamesEachAndTheFix() throws Exception {
        Path a = squat(shm().resolve("ray-zerocopy-" + StoreChecks.uid()));
        Path tmpDir = Files.createDirectory(tmp.resolve("t"));
        Path b = squat(tmpDir.resolve("ray-zerocopy-" + StoreChecks.uid()));
        StoreException e =
                assertThrows(
                        StoreException.class,
                        () -> new StoreRoots(null, shm(), null, tmpDir, StoreChecks.uid()).open());
        assertTrue(
                e.getMessage().contains(a.toString())
                        && e.getMessage().contains(b.toString())
                        && e.getMessage().contains("RZC_STORE_DIR"),
                e.getMessage());
    }
}
