package io.rayzerocopy.internal.data;

import io.rayzerocopy.DatasetException;
import io.rayzerocopy.ParquetWriteOptions;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes Arrow batches as a Parquet dataset directory of {@code part-00000.parquet}, {@code
 * part-00001.parquet}, ... files, committed atomically.
 *
 * <p>Files are written into a hidden directory next to the output ({@code .<name>.rzc-tmp-*}).
 * {@link #commit()} renames it into place; {@link #close()} without a commit deletes it. So the
 * output directory holds either nothing new or the whole result, never a partial one. Side datasets
 * ({@link #writeSidecar}) are committed with it as sub-directories such as {@code _errors/}, which
 * readers skip.
 *
 * <p>Thread-safe. Batches are not closed by the sink.
 */
public final class ParquetSink implements AutoCloseable {
    private static final String MAIN = "";

    private final Path directory;
    private final Path staging;
    private final ParquetWriteOptions options;
    private final CodecFactory codecs;
    private final CompressionCodecFactory.BytesInputCompressor compressor;
    private final Map<String, Parts> datasets = new LinkedHashMap<>();

    /** Deletes the staging directory if the JVM exits (Ctrl-C) before the job commits. */
    private final Thread cleanupAtExit;

    private boolean finished;

    private ParquetSink(Path directory, ParquetWriteOptions options) throws IOException {
        this.directory = directory;
        this.options = options;
        Files.createDirectories(directory.getParent());
        this.staging =
                directory.resolveSibling(
                        "." + directory.getFileName() + ".rzc-tmp-" + UUID.randomUUID());
        Files.createDirectory(staging);
        this.cleanupAtExit = new Thread(() -> deleteRecursively(staging), "rzc-sink-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupAtExit);
        this.codecs = new CodecFactory(new PlainParquetConfiguration(), 1 << 20);
        this.compressor =
                codecs.getCompressor(
                        switch (options.compression()) {
                            case SNAPPY -> CompressionCodecName.SNAPPY;
                            case ZSTD -> CompressionCodecName.ZSTD;
                            case NONE -> CompressionCodecName.UNCOMPRESSED;
                        });
    }

    /**
     * Starts writing a dataset that {@link #commit()} will place at {@code directory}.
     *
     * @throws IllegalArgumentException if {@code directory} is a file, or exists and is not empty
     *     while the save mode is {@code ERROR_IF_EXISTS}
     */
    public static ParquetSink create(Path directory, ParquetWriteOptions options) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(options, "options");
        Path dir = directory.toAbsolutePath().normalize();
        if (dir.getParent() == null) {
            throw new IllegalArgumentException(
                    "cannot write a dataset at the file-system root: " + dir);
        }
        checkTarget(dir, options.saveMode());
        try {
            return new ParquetSink(dir, options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging directory next to " + dir, e);
        }
    }

    /** Where the dataset appears on commit. */
    public Path directory() {
        return directory;
    }

    /** Appends all rows of {@code root} to the dataset. */
    public synchronized void write(VectorSchemaRoot root) {
        parts(MAIN).write(root);
    }

    /**
     * Appends all rows of {@code root} to the side dataset {@code name} (a sub-directory committed
     * with the main one), e.g. {@code "_errors"}.
     */
    public synchronized void writeSidecar(String name, VectorSchemaRoot root) {
        if (name == null || !name.startsWith("_") || name.contains("/")) {
            throw new IllegalArgumentException(
                    "a side dataset name starts with '_' (so readers skip it) and has no '/': "
                            + name);
        }
        parts(name).write(root);
    }

    /**
     * Moves the part files of a dataset committed elsewhere on this file system (such as a cluster
     * task's own output) into this one, numbered after the files already here, together with its
     * side datasets ({@code _errors}); they are committed with this dataset. Counts {@code rows}
     * rows for the main dataset. The batches' schemas are the caller's to keep equal.
     *
     * @return the adopted files of the main dataset, at the paths {@link #commit()} gives them
     */
    public synchronized List<Path> adopt(Path committed, long rows) {
        List<Path> adopted = new ArrayList<>();
        try {
            for (Path file : parts(committed)) {
                adopted.add(directory.resolve(staging.relativize(parts(MAIN).adopt(file))));
            }
            parts(MAIN).rows += rows;
            try (DirectoryStream<Path> sides = Files.newDirectoryStream(committed, "_*")) {
                for (Path side : sides) {
                    for (Path file : parts(side)) {
                        parts(side.getFileName().toString()).adopt(file);
                    }
                }
            }
        } catch (IOException e) {
            throw new DatasetException(
                    "cannot move the part files of " + committed + " into " + staging + ": " + e,
                    e);
        }
        return adopted;
    }

    /** The part files directly in {@code dir}, in name order. */
    private static List<Path> parts(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "part-*.parquet")) {
            entries.forEach(files::add);
        }
        files.sort(Comparator.naturalOrder());
        return files;
    }

    /** Rows written so far to the main dataset. */
    public synchronized long rows() {
        Parts main = datasets.get(MAIN);
        return main == null ? 0 : main.rows;
    }

    /**
     * Finishes all files and moves the dataset into place.
     *
     * @return the files of the main dataset, at their final paths
     * @throws DatasetException if the dataset cannot be committed; the output is then unchanged
     */
    public synchronized List<Path> commit() {
        if (finished) {
            throw new IllegalStateException(
                    "sink for " + directory + " is already committed or closed");
        }
        List<Path> files = new ArrayList<>();
        try {
            for (Map.Entry<String, Parts> entry : datasets.entrySet()) {
                entry.getValue().finish();
                if (entry.getKey().equals(MAIN)) {
                    for (Path file : entry.getValue().files) {
                        files.add(directory.resolve(staging.relativize(file)));
                    }
                }
            }
            replaceDirectory();
            finished = true;
            codecs.release();
            forgetCleanup();
        } catch (IOException | RuntimeException e) {
            close();
            if (e instanceof DatasetException d) {
                throw d;
            }
            throw new DatasetException("cannot commit the dataset at " + directory + ": " + e, e);
        }
        return files;
    }

    /** Discards everything written unless {@link #commit()} succeeded. */
    @Override
    public synchronized void close() {
        if (finished) {
            return;
        }
        finished = true;
        for (Parts parts : datasets.values()) {
            parts.abandon();
        }
        codecs.release();
        deleteRecursively(staging);
        forgetCleanup();
    }

    private void forgetCleanup() {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupAtExit);
        } catch (IllegalStateException exiting) {
            // the JVM is already shutting down; the hook does the same cleanup
        }
    }

    private Parts parts(String name) {
        if (finished) {
            throw new IllegalStateException(
                    "sink for " + directory + " is already committed or closed");
        }
        return datasets.computeIfAbsent(
                name, n -> new Parts(n.isEmpty() ? staging : staging.resolve(n)));
    }

    private void replaceDirectory() throws IOException {
        Path backup = null;
        if (Files.exists(directory)) {
            checkTarget(directory, options.saveMode());
            if (isEmptyDirectory(directory)) {
                Files.delete(directory);
            } else {
                backup =
                        directory.resolveSibling(
                                "." + directory.getFileName() + ".rzc-old-" + UUID.randomUUID());
                Files.move(directory, backup, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        try {
            Files.move(staging, directory, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (backup != null) {
                Files.move(backup, directory, StandardCopyOption.ATOMIC_MOVE);
            }
            throw e;
        }
        if (backup != null) {
            deleteRecursively(backup);
        }
    }

    private static void checkTarget(Path dir, ParquetWriteOptions.SaveMode mode) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("output " + dir + " exists and is not a directory");
        }
        if (mode == ParquetWriteOptions.SaveMode.ERROR_IF_EXISTS
                && Files.isDirectory(dir)
                && !isEmptyDirectory(dir)) {
            throw new IllegalArgumentException(
                    "output directory "
                            + dir
                            + " already exists and is not empty; choose another one or use"
                            + " SaveMode.OVERWRITE");
        }
    }

    private static boolean isEmptyDirectory(Path dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private static void deleteRecursively(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path, e);
        }
    }

    /** One dataset directory being written: rolls to a new part file every rowsPerFile rows. */
    private final class Parts {
        private final Path dir;
        private final List<Path> files = new ArrayList<>();
        private Schema schema;
        private PartFileWriter current;
        private long rows;

        Parts(Path dir) {
            this.dir = dir;
        }

        void write(VectorSchemaRoot root) {
            if (schema == null) {
                schema = root.getSchema();
            } else if (!schema.equals(root.getSchema())) {
                throw new IllegalArgumentException(
                        "batch schema "
                                + root.getSchema()
                                + " differs from the schema of earlier batches of "
                                + directory
                                + ": "
                                + schema);
            }
            int written = 0;
            int count = root.getRowCount();
            try {
                while (written < count) {
                    if (current == null) {
                        Files.createDirectories(dir);
                        Path file = dir.resolve(String.format("part-%05d.parquet", files.size()));
                        current =
                                new PartFileWriter(
                                        file, schema, compressor, options.rowsPerRowGroup());
                        files.add(file);
                    }
                    int take =
                            (int) Math.min(count - written, options.rowsPerFile() - current.rows());
                    current.write(root, written, take);
                    written += take;
                    rows += take;
                    if (current.rows() == options.rowsPerFile()) {
                        current.close();
                        current = null;
                    }
                }
            } catch (IOException e) {
                throw new DatasetException("cannot write Parquet file " + current + ": " + e, e);
            }
        }

        /** Moves a finished part file in as this dataset's next file; returns its new path. */
        Path adopt(Path file) throws IOException {
            finish();
            Files.createDirectories(dir);
            Path target = dir.resolve(String.format("part-%05d.parquet", files.size()));
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
            files.add(target);
            return target;
        }

        void finish() throws IOException {
            if (current != null) {
                current.close();
                current = null;
            }
        }

        void abandon() {
            if (current != null) {
                current.abandon();
                current = null;
            }
        }
    }
}
