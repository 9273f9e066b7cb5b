package io.rayzerocopy.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.internal.data.ArrowTestRows;
import io.rayzerocopy.internal.data.ParquetFixtures;
import io.rayzerocopy.internal.data.ParquetSource;
import io.rayzerocopy.internal.data.ParquetSplitSource;
import io.rayzerocopy.internal.data.RowRange;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Parquet read from a real S3 API (S3Proxy, through S3A) equals the same files read locally. */
class S3ReadTest {
    @TempDir static Path dir;
    private static S3Server s3;
    private static String bucket;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Server.start(dir.resolve("s3"));
        Storage.configure(s3.settings());
        bucket = s3.createBucket("read");
        Path local = dir.resolve("local");
        Files.createDirectories(local.resolve("sub"));
        ParquetFixtures.writeAllTypes(local.resolve("a.parquet"), 300);
        ParquetFixtures.writeAllTypes(local.resolve("sub/b.parquet"), 70);
        Files.writeString(local.resolve("_SUCCESS"), "{}");
        S3Server.upload(local, bucket + "/in");
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void readsFilesDirectoriesAndSplitsLikeLocalOnes() {
        String in = bucket + "/in";
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
            assertTrue(ranges.get(0).source().startsWith("s3a://read/in/"), ranges.toString());
            long rows = 0;
            for (ParquetSplitSource split : ParquetSplitSource.plan(remote, 100)) {
                rows += ArrowTestRows.readAll(split, allocator, 50, new ArrayList<>()).size();
            }
            assertEquals(370, rows);
        }
    }
}
