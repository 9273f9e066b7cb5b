package io.rayzerocopy.internal;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Deleting directory trees: the one implementation every part of the project uses. */
public final class FileTrees {
    private FileTrees() {}

    /**
     * Deletes {@code root} and everything under it. Symbolic links are deleted, never followed, so
     * a link inside the tree cannot make this delete anything outside it. A path that is already
     * gone (also one deleted concurrently by another process) is not an error. Deletion goes on
     * past a failure, so as much as possible is removed; the first failure is then thrown.
     *
     * @throws IOException the first path that could not be deleted, with the others suppressed
     */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        IOException[] failure = new IOException[1];
        Files.walkFileTree(
                root,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        delete(file, failure);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        if (!(e instanceof NoSuchFileException)) {
                            record(failure, e);
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                        if (e != null && !(e instanceof NoSuchFileException)) {
                            record(failure, e);
                        }
                        delete(dir, failure);
                        return FileVisitResult.CONTINUE;
                    }
                });
        if (failure[0] != null) {
            throw failure[0];
        }
    }

    private static void delete(Path path, IOException[] failure) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            record(failure, e);
        }
    }

    private static void record(IOException[] failure, IOException e) {
        if (failure[0] == null) {
            failure[0] = e;
        } else {
            failure[0].addSuppressed(e);
        }
    }
}
