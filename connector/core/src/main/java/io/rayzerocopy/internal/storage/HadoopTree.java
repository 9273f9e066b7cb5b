package io.rayzerocopy.internal.storage;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.OutputFile;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A Hadoop {@link FileSystem}: HDFS, S3A, ABFS, GCS, ... */
final class HadoopTree implements Tree {
    private final FileSystem fs;

    HadoopTree(FileSystem fs) {
        this.fs = fs;
    }

    @Override
    public Path path(String location) {
        return fs.makeQualified(Storage.hadoopPath(location));
    }

    @Override
    public String name(Path path) {
        return Storage.mask(path.toString());
    }

    @Override
    public boolean renamesAtomically() {
        // Object stores (s3a, gs, abfs without HNS) copy; HDFS-like file systems say so by their
        // scheme. viewfs mounts HDFS.
        String scheme = fs.getScheme();
        return scheme.equals("hdfs") || scheme.equals("viewfs") || scheme.equals("webhdfs")
                || scheme.equals("file");
    }

    @Override
    public boolean isShared() {
        return true;
    }

    @Override
    public boolean exists(Path path) throws IOException {
        return fs.exists(path);
    }

    @Override
    public boolean isDirectory(Path path) throws IOException {
        FileStatus status = status(path);
        return status != null && status.isDirectory();
    }

    @Override
    public boolean isFile(Path path) throws IOException {
        FileStatus status = status(path);
        return status != null && status.isFile();
    }

    private FileStatus status(Path path) throws IOException {
        try {
            return fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        if (!fs.mkdirs(dir)) {
            throw new IOException("cannot create directory " + name(dir));
        }
    }

    @Override
    public void createDirectory(Path dir) throws IOException {
        if (fs.exists(dir)) {
            throw new FileAlreadyExistsException(name(dir));
        }
        createDirectories(dir);
    }

    @Override
    public List<Path> children(Path dir, String prefix) throws IOException {
        List<Path> found = new ArrayList<>();
        FileStatus[] entries;
        try {
            entries = fs.listStatus(dir, p -> p.getName().startsWith(prefix));
        } catch (FileNotFoundException e) {
            return found;
        }
        for (FileStatus entry : entries) {
            found.add(entry.getPath());
        }
        return found;
    }

    @Override
    public List<Path> files(Path dir) throws IOException {
        List<Path> found = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> entries = fs.listFiles(dir, true);
        while (entries.hasNext()) {
            found.add(entries.next().getPath());
        }
        return found;
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        // FileSystem.rename moves into an existing directory instead of failing: refuse first.
        if (fs.exists(to)) {
            throw new FileAlreadyExistsException(name(to));
        }
        if (!fs.rename(from, to)) {
            throw new IOException(
                    "cannot rename " + name(from) + " to " + name(to) + " (is the source gone?)");
        }
    }

    @Override
    public void deleteEmptyDirectory(Path dir) throws IOException {
        if (!fs.delete(dir, false)) {
            throw new IOException("cannot delete " + name(dir));
        }
    }

    @Override
    public void deleteTree(Path path) throws IOException {
        fs.delete(path, true);
    }

    @Override
    public String read(Path file) throws IOException {
        try (InputStream in = fs.open(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    public void writeAtomically(Path file, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (!renamesAtomically()) {
            // An object store makes an object visible whole, when the stream closes.
            try (FSDataOutputStream out = fs.create(file, true)) {
                out.write(bytes);
            }
            return;
        }
        Path tmp = new Path(file.getParent(), "." + file.getName() + ".tmp");
        try (FSDataOutputStream out = fs.create(tmp, true)) {
            out.write(bytes);
        }
        fs.delete(file, false);
        if (!fs.rename(tmp, file)) {
            throw new IOException("cannot rename " + name(tmp) + " to " + name(file));
        }
    }

    @Override
    public Instant modified(Path path) throws IOException {
        return Instant.ofEpochMilli(fs.getFileStatus(path).getModificationTime());
    }

    @Override
    public OutputFile output(Path file) throws IOException {
        return HadoopOutputFile.fromPath(file, fs.getConf());
    }
}
