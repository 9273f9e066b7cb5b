package io.rayzerocopy.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Which cache directory a process chooses, for homes that are missing, relative or read-only. */
class CacheDirsTest {
    @TempDir Path dir;

    @Test
    void theFirstAbsoluteWritableOfUserHomeHomeAndXdgCacheHomeIsChosen() throws Exception {
        Path home = Files.createDirectory(dir.resolve("home"));
        Path xdg = Files.createDirectory(dir.resolve("xdg"));
        int uid = StoreChecks.uid();

        assertEquals(
                home.resolve(".cache/ray-zerocopy"),
                CacheDirs.choose(home.toString(), "/elsewhere", null, dir, uid));
        assertEquals(
                home.resolve(".cache/ray-zerocopy"),
                CacheDirs.choose("?", home.toString(), xdg.toString(), dir, uid),
                "a uid without a passwd entry has user.home '?': $HOME is next");
        assertEquals(
                xdg.resolve("ray-zerocopy"),
                CacheDirs.choose("?", "relative/home", xdg.toString(), dir, uid));
        assertEquals(
                dir.resolve("ray-zerocopy-cache-" + uid),
                CacheDirs.choose("?", null, "", dir, uid),
                "never the working directory");
        assertEquals(
                "rwx------",
                PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(dir.resolve("ray-zerocopy-cache-" + uid))));
    }

    @Test
    void aTempDirectoryThatIsNotTheUsersOwnIsNotUsed() throws Exception {
        int uid = StoreChecks.uid();
        Path taken = Files.createDirectory(dir.resolve("ray-zerocopy-cache-" + uid));
        Files.setPosixFilePermissions(taken, PosixFilePermissions.fromString("rwxrwxrwx"));

        Path chosen = CacheDirs.choose("?", null, null, dir, uid);

        assertNotEquals(taken, chosen);
        assertTrue(chosen.getFileName().toString().startsWith("ray-zerocopy-cache-" + uid + "-"));
        assertEquals(dir, chosen.getParent());
    }
}
