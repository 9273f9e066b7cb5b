package io.rayzerocopy.internal.storage;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The files a remote location names, listed through its {@link FileSystem}: a file, a directory
 * (recursively) or a glob. As for local paths, names under the location that start with {@code .}
 * or {@code _} ({@code _SUCCESS}, {@code _errors/}, {@code .crc} files, staging directories) are
 * skipped.
 */
public final class RemoteFiles {
    private RemoteFiles() {}

    /**
     * The files {@code location} names, as qualified URIs in name order.
     *
     * @throws IllegalArgumentException if it does not exist (a glob matching nothing gives none)
     * @throws UncheckedIOException if its file system cannot be reached or listed
     */
    public static List<String> resolve(String location) {
        FileSystem fs = Storage.fileSystem(location);
        Path path = fs.makeQualified(Storage.hadoopPath(location));
        List<String> files = new ArrayList<>();
        try {
            if (isGlob(location)) {
                FileStatus[] matches = fs.globStatus(path);
                for (FileStatus match : matches == null ? new FileStatus[0] : matches) {
                    collect(fs, match, match.getPath(), files);
                }
            } else {
                FileStatus status;
                try {
                    status = fs.getFileStatus(path);
                } catch (FileNotFoundException e) {
                    throw new IllegalArgumentException(
                            "Parquet path does not exist: " + Storage.mask(location), e);
                }
                collect(fs, status, status.getPath(), files);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot list " + Storage.mask(location) + ": " + Storage.describe(e), e);
        }
        files.sort(null);
        return files;
    }

    private static void collect(FileSystem fs, FileStatus status, Path base, List<String> files)
            throws IOException {
        if (!status.isDirectory()) {
            files.add(status.getPath().toString());
            return;
        }
        RemoteIterator<LocatedFileStatus> entries = fs.listFiles(status.getPath(), true);
        String prefix = base.toString().endsWith("/") ? base.toString() : base + "/";
        while (entries.hasNext()) {
            LocatedFileStatus entry = entries.next();
            String name = entry.getPath().toString();
            if (entry.isFile() && !isHidden(name.substring(prefix.length()))) {
                files.add(name);
            }
        }
    }

    private static boolean isHidden(String relative) {
        for (String part : relative.split("/")) {
            if (part.startsWith(".") || part.startsWith("_")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isGlob(String location) {
        return location.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }
}
