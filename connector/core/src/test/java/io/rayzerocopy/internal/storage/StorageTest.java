package io.rayzerocopy.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.nio.file.Paths;

class StorageTest {
    @Test
    void plainPathsAndFileUrisAreLocal() {
        assertTrue(Storage.isLocal("data/in"));
        assertTrue(Storage.isLocal("/tmp/x:y"));
        assertTrue(Storage.isLocal("file:///tmp/in"));
        assertFalse(Storage.isLocal("hdfs://nn:8020/in"));
        assertFalse(Storage.isLocal("s3a://bucket/in"));
        assertEquals(Paths.get("/tmp/in"), Storage.localPath("file:///tmp/in"));
        assertEquals(
                Paths.get("rel").toAbsolutePath().toString(), Storage.normalize("rel/./"));
    }

    @Test
    void credentialsInUrisAreMasked() {
        assertEquals(
                "cannot read s3a://***@bucket/x and hdfs://nn/y",
                Storage.mask("cannot read s3a://AKIA123:secret@bucket/x and hdfs://nn/y"));
        assertEquals("s3a://***@bucket/x", Storage.mask("s3a://AKIA:secret@bucket/x"));
    }

    @Test
    void aSchemeWithoutItsFileSystemNamesTheArtifact() {
        // (hadoop-aws is on the test classpath, for S3Proxy: gs:// stands for a missing jar)
        IllegalArgumentException gs =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Storage.fileSystem("gs://key:secret@bucket/in"));
        assertTrue(gs.getMessage().contains("gcs-connector"), gs.getMessage());
        assertFalse(gs.getMessage().contains("secret"), gs.getMessage());
        IllegalArgumentException unknown =
                assertThrows(
                        IllegalArgumentException.class, () -> Storage.fileSystem("foo://x/in"));
        assertTrue(unknown.getMessage().startsWith("no file system for foo://"), unknown.getMessage());
    }
}
