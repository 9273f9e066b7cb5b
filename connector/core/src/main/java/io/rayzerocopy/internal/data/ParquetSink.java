package io.rayzerocopy.internal.data;

import io.rayzerocopy.DatasetException;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.internal.storage.ObjectStoreCommitter;
import io.rayzerocopy.internal.storage.Storage;
import io.rayzerocopy.internal.storage.Tree;
import io.rayzerocopy.spi.JobPlan;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes Arrow batches as a Parquet dataset directory of {@code part-00000.parquet}, {@code
 * part-00001.parquet}, ... files, committed atomically.
 *
 * <p>Rows are written split by split (a split is an input file; see {@link StagingArea}) into a
 * hidden directory next to the output. {@link #commitSplit} commits a split whose rows have all
 * been written; {@link #commit()} names the files in split order and renames the whole dataset into
 * place; {@link #close()} without a commit deletes it (a job that can be resumed keeps its
 * committed splits). So the output directory holds either nothing new or the whole result, never a
 * partial one. Side datasets ({@link #writeSidecar}) are committed with their split as
 * sub-directories such as {@code _errors/}, which readers skip. A job whose batches all have no
 * rows writes one empty file with their schema, so the output can be read.
 *
 * <p>Thread-safe. Batches are not closed by the sink.
 */
public final class ParquetSink implements JobPlan.Output {
    /** The split of rows written without naming one. */
    private static final String UNSPLIT = "";

    private static final String MAIN = "";

    private final Tree tree;
    private final Path directory;
    private final StagingArea area;
    private final CodecFactory codecs;
    private final CompressionCodecFactory.BytesInputCompressor compressor;
    private final Map<String, SplitWriter> open = new LinkedHashMap<>();
    private final Map<String, Schema> schemas = new HashMap<>();
    private final List<String> partitionBy;

    /** Deletes the staging directory if the JVM exits (Ctrl-C) before the job commits. */
    private final Thread cleanupAtExit;

    private boolean finished;

    private ParquetSink(Path directory, StagingArea area, ParquetWriteOptions options) {
        this.tree = area.tree();
        this.directory = directory;
        this.area = area;
        this.partitionBy = options.partitionBy();
        this.cleanupAtExit =
                new Thread(area::deleteAtExit, "rzc-sink-cleanup");
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
     * Starts writing a dataset that {@link #commit()} will place at {@code directory}; it cannot be
     * resumed.
     *
     * @throws IllegalArgumentException if {@code directory} is a file, or exists and is not empty
     *     while the save mode is {@code ERROR_IF_EXISTS}
     */
    public static ParquetSink create(String directory, ParquetWriteOptions options) {
        return create(directory, options, null);
    }

    /**
     * Starts writing a dataset that {@link #commit()} will place at {@code directory}, for the job
     * {@code job} ({@code null}: one that cannot be resumed). With {@code options.resume()}, the
     * staging area of a killed run of the same job is continued: {@link #resumedSplits()} are those
     * it already wrote.
     *
     * @throws IllegalArgumentException if {@code directory} is a file, or exists and is not empty
     *     while the save mode is {@code ERROR_IF_EXISTS}, or the job to resume differs (naming what
     *     changed)
     */
    public static ParquetSink create(String directory, ParquetWriteOptions options, JobRecord job) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(options, "options");
        Tree tree = Tree.of(directory);
        Path dir = tree.path(StagingArea.linkTarget(directory, true));
        if (dir.getParent() == null) {
            throw new IllegalArgumentException(
                    "cannot write a dataset at the file-system root: " + tree.name(dir));
        }
        checkRenames(tree, dir);
        checkTarget(tree, dir, options.saveMode());
        return new ParquetSink(dir, StagingArea.open(tree, dir, options, job), options);
    }

    /**
     * Checks, before a job starts, that a dataset can be committed at {@code directory} (a path or
     * URI) with {@code mode}: its file system is reachable and renames atomically, and it is not a
     * file, nor (with {@code ERROR_IF_EXISTS}) a directory that is not empty.
     *
     * @throws IllegalArgumentException naming the directory and the fix
     * @throws UncheckedIOException if its file system cannot be reached
     */
    public static void checkOutput(String directory, ParquetWriteOptions.SaveMode mode) {
        checkOutput(directory, mode, "output", SettingNames.OVERWRITE);
    }

    /**
     * {@link #checkOutput(String, ParquetWriteOptions.SaveMode)}, with messages that name the
     * output and the overwrite setting as the caller does ({@code --output}, {@code --overwrite}).
     */
    public static void checkOutput(
            String directory,
            ParquetWriteOptions.SaveMode mode,
            String outputName,
            String overwriteName) {
        Tree tree = Tree.of(directory);
        Path dir = tree.path(directory);
        checkRenames(tree, dir);
        checkTarget(tree, dir, mode, outputName, overwriteName);
    }

    /**
     * Refuses an output on a file system without atomic renames (an object store) unless
     * Hadoop's committer protocol can commit there without renames ({@code s3a://}).
     */
    private static void checkRenames(Tree tree, Path dir) {
        if (ObjectStoreCommitter.isNeeded(tree)) {
            ObjectStoreCommitter.check(dir, tree.name(dir));
        }
    }

    /**
     * Checks, before a cluster job runs a task, that its output can take the task attempts {@link
     * #scratch} and {@link #adopt} move by renames: not on an object store, where they would copy.
     *
     * @throws IllegalArgumentException naming the output and the fix if not
     */
    private static void checkClusterOutput(String directory) {
        if (ObjectStoreCommitter.isNeeded(Tree.of(directory))) {
            throw new IllegalArgumentException(
                    "cannot commit a cluster job's output to "
                            + Storage.mask(directory)
                            + " yet: its task attempts are adopted by renames, which copy on an"
                            + " object store; write to hdfs:// (or run on threads or processes)");
        }
    }

    /**
     * Checks, before a job starts, that {@code partitionBy} can partition rows of {@code schema}
     * ({@link ParquetWriteOptions#partitionBy()}).
     *
     * @throws IllegalArgumentException naming the column and the fix
     */
    public static void checkPartitionBy(List<String> partitionBy, Schema schema) {
        if (!partitionBy.isEmpty()) {
            PartitionRows.check(partitionBy, schema.getFields());
        }
    }

    /** Where the dataset appears on commit: a local path or a URI. */
    @Override
    public String directory() {
        return tree.name(directory);
    }

    /**
     * A new directory {@code name} inside the staging area, for a runtime's own use (a cluster
     * job's task attempts): it goes with the staging area, so a job killed outright leaves it where
     * the next job on this output, or {@code rzc clean}, removes it.
     */
    public synchronized String scratch(String name) {
        checkOpen();
        checkClusterOutput(directory());
        Path dir = new Path(area.root(), name);
        try {
            tree.createDirectory(dir);
            return tree.name(dir);
        } catch (IOException e) {
            throw new DatasetException(
                    "cannot create " + tree.name(dir) + ": " + StagingArea.reason(e), e);
        }
    }

    /** A directory of {@link #scratch} for the attempts of a job's tasks. */
    @Override
    public AttemptDirs attempts(String name) {
        return new AttemptDirs(scratch(name));
    }

    /** Appends all rows of {@code root} to the dataset. */
    public void write(VectorSchemaRoot root) {
        write(UNSPLIT, root);
    }

    /** Appends all rows of {@code root}, made from input split {@code split}, to the dataset. */
    public synchronized void write(String split, VectorSchemaRoot root) {
        write(split, MAIN, root);
    }

    /**
     * Appends all rows of {@code root} to the side dataset {@code name} (a sub-directory committed
     * with the main one), e.g. {@code "_errors"}.
     */
    public void writeSidecar(String name, VectorSchemaRoot root) {
        writeSidecar(name, UNSPLIT, root);
    }

    /**
     * As {@link #writeSidecar(String, VectorSchemaRoot)}, for rows of input split {@code split}.
     */
    public synchronized void writeSidecar(String name, String split, VectorSchemaRoot root) {
        if (name == null || !name.startsWith("_") || name.contains("/")) {
            throw new IllegalArgumentException(
                    "a side dataset name starts with '_' (so readers skip it) and has no '/': "
                            + name);
        }
        write(split, name, root);
    }

    /**
     * Commits the output of {@code split}, all of whose rows have been written: a resumed job will
     * not read it again. A split that wrote nothing is recorded as done as well.
     */
    public synchronized void commitSplit(String split) {
        checkOpen();
        SplitWriter writer = open.remove(split);
        if (writer == null) {
            writer = area.newSplit(split, compressor);
        }
        writer.commit();
    }

    /**
     * Commits as split {@code split} the part files of a dataset committed elsewhere on this file
     * system (such as a cluster task's own output, written by another sink): they are moved in,
     * with its side datasets ({@code _errors}), and named in split order on {@link #commit()}. The
     * batches' schemas are the caller's to keep equal.
     *
     * @return rows of the adopted main dataset (from the files' footers)
     */
    @Override
    public synchronized long adopt(String split, String committed) {
        checkOpen();
        Path dir = tree.path(committed);
        SplitWriter writer = area.newSplit(split, compressor);
        try {
            // A partitioned attempt's only top-level file is the empty one of an attempt
            // without rows; adopted, it would break the table's layout for readers.
            long rows = partitionBy.isEmpty() ? writer.adopt(MAIN, partFiles(dir)) : 0;
            for (Path side : tree.children(dir, "_")) {
                if (tree.isDirectory(side)) {
                    writer.adopt(side.getName(), partFiles(side));
                }
            }
            for (Map.Entry<String, List<Path>> partition : partitionFiles(dir).entrySet()) {
                rows += writer.adopt(partition.getKey(), partition.getValue());
            }
            writer.commit();
            return rows;
        } catch (IOException | RuntimeException e) {
            writer.abandon();
            throw new DatasetException(
                    "cannot move the part files of "
                            + Storage.mask(committed)
                            + " into "
                            + directory()
                            + ": "
                            + (e instanceof IOException ? StagingArea.reason(e) : e),
                    e);
        }
    }

    /** The part files directly in {@code dir}, in name order. */
    private List<Path> partFiles(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path file : tree.children(dir, "part-")) {
            if (file.getName().endsWith(".parquet")) {
                files.add(file);
            }
        }
        files.sort(Comparator.comparing(Path::getName));
        return files;
    }

    /**
     * The part files of a partitioned dataset at {@code dir}, by partition directory relative to
     * it ({@code date=2026-12-01/hour=7}), in name order.
     */
    private Map<String, List<Path>> partitionFiles(Path dir) throws IOException {
        Map<String, List<Path>> byPartition = new java.util.TreeMap<>();
        if (partitionBy.isEmpty()) {
            return byPartition;
        }
        String prefix = dir.toUri().getPath() + "/";
        for (Path file : tree.files(dir)) {
            String relative = file.toUri().getPath().substring(prefix.length());
            int slash = relative.lastIndexOf('/');
            if (slash > 0
                    && !relative.startsWith("_")
                    && file.getName().startsWith("part-")
                    && file.getName().endsWith(".parquet")) {
                byPartition
                        .computeIfAbsent(relative.substring(0, slash), k -> new ArrayList<>())
                        .add(file);
            }
        }
        byPartition.values().forEach(files -> files.sort(Comparator.comparing(Path::toString)));
        return byPartition;
    }

    /** The splits that were committed by the run this job resumed. */
    @Override
    public Set<String> resumedSplits() {
        return area.resumedSplits();
    }

    /** Rows of the main dataset in the splits of the run this job resumed. */
    @Override
    public long resumedRows() {
        return area.resumedRows();
    }

    /** Rows of the main dataset so far, committed or not. */
    @Override
    public synchronized long rows() {
        return area.committedRows() + open.values().stream().mapToLong(SplitWriter::rows).sum();
    }

    /** Rows of side dataset {@code name} so far, committed or not. */
    public synchronized long rows(String name) {
        return area.committedRows(name) + open.values().stream().mapToLong(w -> w.rows(name)).sum();
    }

    /**
     * Finishes all files and moves the dataset into place.
     *
     * @return the files of the main dataset, at their final locations
     * @throws DatasetException if the dataset cannot be committed; the output is then unchanged
     */
    @Override
    public synchronized List<String> commit() {
        checkOpen();
        try {
            for (String split : List.copyOf(open.keySet())) {
                commitSplit(split);
            }
            List<String> files = area.commit(dataSchema(), compressor);
            finished = true;
            codecs.release();
            forgetCleanup();
            return files;
        } catch (IOException | RuntimeException e) {
            close();
            if (e instanceof DatasetException d) {
                throw d;
            }
            throw new DatasetException(
                    "cannot commit the dataset at "
                            + directory()
                            + ": "
                            + (e instanceof IOException ? StagingArea.reason(e) : e),
                    e);
        }
    }

    /** The schema of the main dataset's files: without the partition columns. */
    private Schema dataSchema() {
        Schema main = schemas.get(MAIN);
        if (main == null || partitionBy.isEmpty()) {
            return main;
        }
        return new Schema(
                main.getFields().stream()
                        .filter(f -> !partitionBy.contains(f.getName()))
                        .toList());
    }

    /** Discards everything written unless {@link #commit()} succeeded. */
    @Override
    public synchronized void close() {
        if (finished) {
            return;
        }
        finished = true;
        for (SplitWriter writer : open.values()) {
            writer.abandon();
        }
        open.clear();
        codecs.release();
        area.abandon();
        forgetCleanup();
    }

    private void write(String split, String dataset, VectorSchemaRoot root) {
        checkOpen();
        Schema known = schemas.putIfAbsent(dataset, root.getSchema());
        if (known != null && !known.equals(root.getSchema())) {
            throw new IllegalArgumentException(
                    "batch schema "
                            + root.getSchema()
                            + " differs from the schema of earlier batches of "
                            + directory()
                            + (dataset.isEmpty() ? "" : "/" + dataset)
                            + ": "
                            + known);
        }
        if (root.getRowCount() == 0) {
            return;
        }
        SplitWriter writer = open.computeIfAbsent(split, s -> area.newSplit(s, compressor));
        if (dataset.equals(MAIN)) {
            writer.write(root);
        } else {
            writer.writeSidecar(dataset, root);
        }
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException(
                    "sink for " + directory() + " is already committed or closed");
        }
    }

    private void forgetCleanup() {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupAtExit);
        } catch (IllegalStateException exiting) {
            // the JVM is already shutting down; the hook does the same cleanup
        }
    }

    static void checkTarget(Tree tree, Path dir, ParquetWriteOptions.SaveMode mode) {
        checkTarget(tree, dir, mode, "output", SettingNames.OVERWRITE);
    }

    private static void checkTarget(
            Tree tree,
            Path dir,
            ParquetWriteOptions.SaveMode mode,
            String outputName,
            String overwriteName) {
        boolean isDirectory;
        boolean exists;
        try {
            exists = tree.exists(dir);
            isDirectory = exists && tree.isDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot reach " + tree.name(dir) + ": " + StagingArea.reason(e), e);
        }
        if (exists && !isDirectory) {
            throw new IllegalArgumentException(
                    outputName
                            + " "
                            + tree.name(dir)
                            + " is a file, not a directory: give a directory (it is created if"
                            + " missing)");
        }
        if (mode == ParquetWriteOptions.SaveMode.ERROR_IF_EXISTS
                && isDirectory
                && !StagingArea.isEmptyDirectory(tree, dir)) {
            throw new IllegalArgumentException(
                    outputName
                            + " "
                            + tree.name(dir)
                            + " already exists and is not empty; choose another one or use "
                            + overwriteName);
        }
    }
}
