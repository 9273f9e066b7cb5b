package io.rayzerocopy.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.internal.data.ArrowTestRows;
import io.rayzerocopy.internal.data.ParquetFixtures;
import io.rayzerocopy.internal.data.ParquetSource;
import io.rayzerocopy.internal.data.ParquetSplitSource;
import io.rayzerocopy.internal.data.RowRange;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Parquet read from a real HDFS (MiniDFSCluster) equals the same files read from a local disk. */
class HdfsReadTest {
    @TempDir static Path dir;
    private static MiniHdfs hdfs;

    @BeforeAll
    static void start() throws Exception {
        hdfs = MiniHdfs.start(dir.resolve("hdfs"));
        Path local = dir.resolve("local");
        Files.createDirectories(local.resolve("sub"));
        ParquetFixtures.writeAllTypes(local.resolve("a.parquet"), 300);
        ParquetFixtures.writeAllTypes(local.resolve("sub/b.parquet"), 70);
        Files.writeString(local.resolve("_SUCCESS"), "{}");
        Files.writeString(local.resolve(".a.parquet.crc"), "x");
        FileSystem fs = hdfs.client();
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(local.toUri()),
                new org.apache.hadoop.fs.Path("/in"));
    }

    @AfterAll
    static void stop() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    @Test
    void readsFilesDirectoriesAndGlobsLikeLocalOnes() {
        String in = hdfs.uri() + "/in";
        ParquetSource remote = ParquetSource.of(List.of(in));
        ParquetSource local = ParquetSource.of(List.of(dir.resolve("local").toString()));
        assertEquals(List.of(in + "/a.parquet", in + "/sub/b.parquet"), remote.files());
        assertEquals(370L, remote.rowCount().getAsLong());
        assertEquals(local.schema(), remote.schema());
        try (BufferAllocator allocator = new RootAllocator()) {
            List<RowRange> ranges = new ArrayList<>();
            assertEquals(
                    ArrowTestRows.readAll(local, allocator, 64, new ArrayList<>()),
                    ArrowTestRows.readAll(remote, allocator, 64, ranges));
            assertTrue(ranges.get(0).source().startsWith("hdfs://127.0.0.1:"), ranges.toString());
        }
        assertEquals(
                List.of(in + "/a.parquet"),
                ParquetSource.of(List.of(in + "/*.parquet")).files());
        assertTrue(remote.splits().get(in + "/a.parquet").startsWith("size="));
    }

    @Test
    void splitsReadTheirRowGroupsFromHdfs() {
        ParquetSource remote = ParquetSource.of(List.of(hdfs.uri() + "/in"));
        List<ParquetSplitSource> splits = ParquetSplitSource.plan(remote, 100);
        assertTrue(splits.size() > 2, "row groups of 2 KB give several splits");
        long rows = 0;
        try (BufferAllocator allocator = new RootAllocator()) {
            for (ParquetSplitSource split : splits) {
                rows += ArrowTestRows.readAll(split, allocator, 50, new ArrayList<>()).size();
            }
        }
        assertEquals(370, rows);
    }

    @Test
    void missingPathAndOverlappingOutputAreRefused() {
        IllegalArgumentException missing =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ParquetSource.of(List.of(hdfs.uri() + "/nope")).files());
        assertTrue(missing.getMessage().contains("does not exist: " + hdfs.uri() + "/nope"));
        ParquetSource remote = ParquetSource.of(List.of(hdfs.uri() + "/in"));
        IllegalArgumentException inside =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> remote.checkOutput(hdfs.uri() + "/in/out"));
        assertTrue(inside.getMessage().contains("lies inside the input"), inside.getMessage());
        remote.checkOutput(hdfs.uri() + "/inner");
        remote.checkOutput(dir.resolve("in").toString());
    }

    @Test
    void deadNameNodeFailsInSeconds() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        long start = System.nanoTime();
        String dead = "hdfs://127.0.0.1:" + port + "/in";
        RuntimeException e =
                assertThrows(RuntimeException.class, () -> ParquetSource.of(List.of(dead)).files());
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 20, "took " + seconds + " s");
        assertTrue(e.getMessage().contains(dead), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
