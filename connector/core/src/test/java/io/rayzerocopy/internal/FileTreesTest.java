package io.rayzerocopy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

class FileTreesTest {
    @TempDir Path tmp;

    @Test
    void deletesTheTreeButNothingALinkInItPointsTo() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Path kept = Files.writeString(outside.resolve("kept.txt"), "user data");
        Path tree = Files.createDirectories(tmp.resolve("tree/a/b"));
        Files.writeString(tree.resolve("part-0.parquet"), "x");
        Files.createSymbolicLink(tmp.resolve("tree/a/link"), outside);
        Files.createSymbolicLink(tmp.resolve("tree/file-link"), kept);

        FileTrees.deleteTree(tmp.resolve("tree"));

        assertFalse(Files.exists(tmp.resolve("tree")));
        assertEquals("user data", Files.readString(kept));
    }

    @Test
    void aLinkAsTheRootIsDeletedAloneAndAMissingPathIsFine() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Files.writeString(outside.resolve("kept.txt"), "user data");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), outside);

        FileTrees.deleteTree(link);
        FileTrees.deleteTree(tmp.resolve("never-existed"));

        assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.exists(outside.resolve("kept.txt")));
    }
}
