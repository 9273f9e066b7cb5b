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
        // hadoop-aws is on the tests' classpath (S3 tests); the Azure and GCS file systems are not.
        IllegalArgumentException abfs =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Storage.fileSystem("abfs://key:secret@container/in"));
        assertTrue(abfs.getMessage().contains("org.apache.hadoop:hadoop-azure"), abfs.getMessage());
        assertFalse(abfs.getMessage().contains("secret"), abfs.getMessage());
        IllegalArgumentException gs =
                assertThrows(IllegalArgumentException.class, () -> Storage.fileSystem("gs://b/in"));
        assertTrue(gs.getMessage().contains("gcs-connector"), gs.getMessage());
        IllegalArgumentException unknown =
                assertThrows(
                        IllegalArgumentException.class, () -> Storage.fileSystem("foo://x/in"));
        assertTrue(unknown.getMessage().startsWith("no file system for foo://"), unknown.getMessage());
    }
}
