package io.rayzerocopy.internal.storage;

import io.rayzerocopy.internal.FileTrees;
import io.rayzerocopy.internal.model.LeaseNames;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A file on a Hadoop file system (a model on {@code hdfs://}) copied to a local temporary
 * directory for the length of a job, so that code that reads local files (model extraction) can
 * read it. The directory names its owner process; {@link #close()} deletes it, and a later fetch
 * deletes those of owners that died.
 */
public final class FetchedFile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FetchedFile.class);
    private static final String PREFIX = "rzc-fetched-";

    private final Path dir;
    private final Path path;
    private final String sha256;

    private FetchedFile(Path dir, Path path, String sha256) {
        this.dir = dir;
        this.path = path;
        this.sha256 = sha256;
    }

    /**
     * Copies the file at {@code uri} into a new local temporary directory, keeping its name, and
     * hashes the bytes as they stream by (so the digest costs no second read).
     *
     * @throws IllegalArgumentException if it does not exist or is a directory (naming the URI)
     * @throws UncheckedIOException if it cannot be read or copied
     */
    public static FetchedFile fetch(String uri) {
        FileSystem fs = Storage.fileSystem(uri);
        org.apache.hadoop.fs.Path remote = Storage.hadoopPath(uri);
        Path tmp = Paths.get(System.getProperty("java.io.tmpdir"));
        removeDead(tmp);
        Path dir = null;
        try {
            FileStatus status;
            try {
                status = fs.getFileStatus(remote);
            } catch (FileNotFoundException e) {
                throw new IllegalArgumentException(
                        Storage.mask(uri) + " does not exist; name a file on that file system", e);
            }
            if (!status.isFile()) {
                throw new IllegalArgumentException(
                        Storage.mask(uri) + " is a directory; name the model file in it");
            }
            dir = Files.createDirectory(tmp.resolve(PREFIX + LeaseNames.newName()));
            Path local = dir.resolve(remote.getName());
            long start = System.nanoTime();
            MessageDigest md = sha256Digest();
            try (InputStream in = new DigestInputStream(fs.open(remote), md)) {
                Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
            }
            LOG.info(
                    "fetched {} ({} bytes) to {} in {} ms",
                    Storage.mask(uri),
                    status.getLen(),
                    local,
                    (System.nanoTime() - start) / 1_000_000);
            return new FetchedFile(dir, local, HexFormat.of().formatHex(md.digest()));
        } catch (IOException | RuntimeException e) {
            deleteQuietly(dir);
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new UncheckedIOException(
                    "cannot fetch " + Storage.mask(uri) + ": " + Storage.describe(e),
                    (IOException) e);
        }
    }

    /** The local copy. */
    public Path path() {
        return path;
    }

    /** The SHA-256 of the file's bytes, in hex. */
    public String sha256() {
        return sha256;
    }

    /** A new SHA-256 digest. */
    static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes the local copy. */
    @Override
    public void close() {
        deleteQuietly(dir);
    }

    private static void removeDead(Path tmp) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(tmp, PREFIX + "*")) {
            for (Path entry : entries) {
                String owner = entry.getFileName().toString().substring(PREFIX.length());
                if (!LeaseNames.isAlive(owner)) {
                    deleteQuietly(entry);
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", tmp, e.toString());
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try {
            FileTrees.deleteTree(dir);
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.toString());
        }
    }
}
