package io.rayzerocopy.internal.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

class StagingAreaTest {
    /** A holder name whose process cannot exist (pids stay below 2^22 on Linux). */
    private static final String DEAD = "999999999-1-0";

    @TempDir Path dir;

    @Test
    void cleaningAnOutputGivenAsASymbolicLinkRemovesWhatAKilledJobStagedNextToItsTarget()
            throws Exception {
        Path target = Files.createDirectories(dir.resolve("real/scores"));
        Files.writeString(target.resolve("part-00000.parquet"), "the previous output");
        Path staged = Files.createDirectory(dir.resolve("real/.scores.rzc-tmp-" + DEAD));
        Files.writeString(staged.resolve("part-00000.parquet"), "half a new output");
        Path link = Files.createSymbolicLink(dir.resolve("scores-link"), target);

        assertEquals(
                List.of(staged.toString()),
                StagingArea.leftovers(link.toString()).stream()
                        .map(StagingArea.Leftover::directory)
                        .toList());
        List<StagingArea.Leftover> removed = StagingArea.removeDead(link.toString());

        assertEquals(1, removed.size());
        assertFalse(Files.exists(staged));
        assertTrue(Files.isSymbolicLink(link), "the link stays");
        assertEquals("the previous output", Files.readString(target.resolve("part-00000.parquet")));
    }
}
