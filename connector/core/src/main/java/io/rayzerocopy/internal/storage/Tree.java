package io.rayzerocopy.internal.storage;

import org.apache.hadoop.fs.Path;
import org.apache.parquet.io.OutputFile;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * The file operations a job's output needs, on the file system that holds it: a local disk
 * through {@code java.nio} ({@link #of} of a plain path or {@code file:} URI) or any Hadoop {@code
 * FileSystem}. Paths are Hadoop {@link Path}s qualified with their scheme (local ones {@code
 * file:/...}).
 */
public interface Tree {
    /** The tree holding {@code location}, a plain path or URI. */
    static Tree of(String location) {
        return Storage.isLocal(location)
                ? LocalTree.INSTANCE
                : new HadoopTree(Storage.fileSystem(location));
    }

    /** {@code location} as a qualified, normalized path of this tree. */
    Path path(String location);

    /** How messages name {@code path}: a local one by its plain path, a URI masked. */
    String name(Path path);

    /**
     * Whether a rename of a file or directory is atomic and costs no copy (a local disk, HDFS);
     * object stores copy and delete instead.
     */
    boolean renamesAtomically();

    /** Whether other machines may use this file system too (anything but a local disk). */
    boolean isShared();

    boolean exists(Path path) throws IOException;

    boolean isDirectory(Path path) throws IOException;

    boolean isFile(Path path) throws IOException;

    /** Creates {@code dir} and its missing parents. */
    void createDirectories(Path dir) throws IOException;

    /**
     * Creates {@code dir}, whose parent exists.
     *
     * @throws java.nio.file.FileAlreadyExistsException if it exists
     */
    void createDirectory(Path dir) throws IOException;

    /** The entries directly in {@code dir} whose names start with {@code prefix}; none if it is missing. */
    List<Path> children(Path dir, String prefix) throws IOException;

    /** The regular files under {@code dir}, recursively. */
    List<Path> files(Path dir) throws IOException;

    /**
     * Moves {@code from} to {@code to}, which must not exist (an empty local directory aside), in
     * one step where the file system can.
     *
     * @throws IOException if {@code from} is gone, {@code to} exists, or the move fails
     */
    void rename(Path from, Path to) throws IOException;

    /**
     * Deletes the empty directory {@code dir}.
     *
     * @throws IOException if it is not empty (nothing is deleted then) or cannot be deleted
     */
    void deleteEmptyDirectory(Path dir) throws IOException;

    /** Deletes {@code path} and everything under it; a missing path is not an error. */
    void deleteTree(Path path) throws IOException;

    String read(Path file) throws IOException;

    /** Writes {@code text} to {@code file} so that readers see the old or the new text, never part. */
    void writeAtomically(Path file, String text) throws IOException;

    Instant modified(Path path) throws IOException;

    /** A new file to write Parquet to. */
    OutputFile output(Path file) throws IOException;
}
