package io.rayzerocopy.admin;

import io.rayzerocopy.internal.storage.FetchedFile;

import java.nio.file.Path;

/**
 * A file of a Hadoop file system ({@code hdfs://}, {@code s3a://}) copied to a local temporary
 * directory for as long as it is open ({@link Locations#fetch}); {@link #close()} deletes the copy,
 * and a later fetch deletes those of processes that died.
 */
public final class LocalCopy implements AutoCloseable {
    private final FetchedFile file;

    LocalCopy(FetchedFile file) {
        this.file = file;
    }

    /** The local copy. */
    public Path path() {
        return file.path();
    }

    /** Deletes the copy. */
    @Override
    public void close() {
        file.close();
    }
}
