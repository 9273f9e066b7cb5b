package io.rayzerocopy.internal.storage;

import io.rayzerocopy.internal.FileTrees;

import org.apache.hadoop.fs.Path;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** A local disk through {@code java.nio}: what every local job used before URIs were accepted. */
final class LocalTree implements Tree {
    static final LocalTree INSTANCE = new LocalTree();

    private LocalTree() {}

    static java.nio.file.Path local(Path path) {
        return Paths.get(path.toUri());
    }

    static Path hadoop(java.nio.file.Path path) {
        return new Path("file", null, path.toAbsolutePath().normalize().toString());
    }

    @Override
    public Path path(String location) {
        return hadoop(Storage.localPath(location));
    }

    @Override
    public String name(Path path) {
        return local(path).toString();
    }

    @Override
    public boolean renamesAtomically() {
        return true;
    }

    @Override
    public boolean isShared() {
        return false;
    }

    @Override
    public boolean exists(Path path) {
        return Files.exists(local(path));
    }

    @Override
    public boolean isDirectory(Path path) {
        return Files.isDirectory(local(path));
    }

    @Override
    public boolean isFile(Path path) {
        return Files.isRegularFile(local(path));
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        Files.createDirectories(local(dir));
    }

    @Override
    public void createDirectory(Path dir) throws IOException {
        Files.createDirectory(local(dir));
    }

    @Override
    public List<Path> children(Path dir, String prefix) throws IOException {
        List<Path> found = new ArrayList<>();
        java.nio.file.Path d = local(dir);
        if (!Files.isDirectory(d)) {
            return found;
        }
        try (DirectoryStream<java.nio.file.Path> entries =
                Files.newDirectoryStream(d, p -> p.getFileName().toString().startsWith(prefix))) {
            entries.forEach(p -> found.add(hadoop(p)));
        }
        return found;
    }

    @Override
    public List<Path> files(Path dir) throws IOException {
        try (Stream<java.nio.file.Path> files = Files.walk(local(dir))) {
            return files.filter(Files::isRegularFile).map(LocalTree::hadoop).toList();
        }
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        Files.move(local(from), local(to), StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void deleteEmptyDirectory(Path dir) throws IOException {
        Files.delete(local(dir));
    }

    @Override
    public void deleteTree(Path path) throws IOException {
        FileTrees.deleteTree(local(path));
    }

    @Override
    public String read(Path file) throws IOException {
        return Files.readString(local(file));
    }

    @Override
    public void writeAtomically(Path file, String text) throws IOException {
        java.nio.file.Path target = local(file);
        java.nio.file.Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(
                tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public Instant modified(Path path) throws IOException {
        return Files.getLastModifiedTime(local(path)).toInstant();
    }

    @Override
    public OutputFile output(Path file) {
        return new LocalOutputFile(local(file));
    }
}
