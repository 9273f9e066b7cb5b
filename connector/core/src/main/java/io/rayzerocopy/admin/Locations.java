package io.rayzerocopy.admin;

import io.rayzerocopy.internal.storage.FetchedFile;
import io.rayzerocopy.internal.storage.Storage;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The locations jobs read and write: local paths, {@code file:} URIs, and URIs of Hadoop file
 * systems ({@code hdfs://}, {@code s3a://}) reached with this process's Hadoop settings.
 */
public final class Locations {
    private Locations() {}

    /**
     * Adds Hadoop settings ({@code fs.s3a.endpoint=...}) for every later file system of this
     * process and of the jobs it runs (a cluster runtime ships them to its executors); they take
     * precedence over {@code HADOOP_CONF_DIR}'s site files.
     */
    public static void configureHadoop(Map<String, String> settings) {
        Storage.configure(Objects.requireNonNull(settings, "settings"));
    }

    /** Whether {@code location} is on this machine's file system: a plain path or {@code file:}. */
    public static boolean isLocal(String location) {
        return Storage.isLocal(Objects.requireNonNull(location, "location"));
    }

    /**
     * The local path {@code location} names (a path or a {@code file:} URI).
     *
     * @param name how messages name the location, e.g. {@code "model"} or a flag
     * @throws IllegalArgumentException if it is blank or a URI of another scheme, naming it
     */
    public static Path localPath(String location, String name) {
        return Path.of(io.rayzerocopy.internal.data.Locations.localPath(location, name));
    }

    /** {@code text} with the credentials of any URI in it ({@code s3a://key:secret@b}) hidden. */
    public static String mask(String text) {
        return Storage.mask(text);
    }

    /**
     * Copies the file at {@code uri} to a local temporary directory, for code that reads local
     * files (a model's extraction); close the copy to delete it.
     *
     * @throws IllegalArgumentException if it does not exist or is a directory, naming the URI
     * @throws java.io.UncheckedIOException if it cannot be read or copied
     */
    public static LocalCopy fetch(String uri) {
        return new LocalCopy(FetchedFile.fetch(Objects.requireNonNull(uri, "uri")));
    }
}
