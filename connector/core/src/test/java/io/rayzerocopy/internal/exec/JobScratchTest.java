package io.rayzerocopy.internal.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.internal.model.LeaseNames;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

class JobScratchTest {
    @TempDir Path base;

    @Test
    void sweepRemovesWhatDeadProcessesLeftAndKeepsWhatLiveOnesUse() throws Exception {
        Path dead = Files.createDirectories(base.resolve("rzc-scratch-999999999-1-0/blockmgr-1"));
        Path live = Files.createDirectory(base.resolve("rzc-scratch-" + LeaseNames.newName()));
        Path leftLib = old(base.resolve("liblz4-java-1.so"));
        Path leftLock = old(base.resolve("liblz4-java-1.so.lck"));
        Path usedLib = old(base.resolve("liblz4-java-2.so"));
        Path fresh = Files.writeString(base.resolve("liblz4-java-3.so"), "being unpacked");
        Path other = Files.createDirectory(base.resolve("spark-not-ours"));

        List<Path> removed;
        try (RandomAccessFile file = new RandomAccessFile(usedLib.toFile(), "r");
                FileChannel channel = file.getChannel()) {
            MappedByteBuffer mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, 3);
            removed = JobScratch.sweep(base);
            assertEquals('l', mapping.get(0), "the mapped library is still there");
        }

        assertEquals(
                Set.of(dead.getParent(), leftLib, leftLock),
                removed.stream().collect(Collectors.toSet()));
        for (Path kept : List.of(live, usedLib, fresh, other)) {
            assertTrue(Files.exists(kept), kept + " is kept");
        }
    }

    private static Path old(Path file) throws Exception {
        Files.writeString(file, "lz4");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(600)));
        return file;
    }
}
