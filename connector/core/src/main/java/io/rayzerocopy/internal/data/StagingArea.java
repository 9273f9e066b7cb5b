package io.rayzerocopy.internal.data;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;

import io.rayzerocopy.DatasetException;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.internal.model.LeaseNames;
import io.rayzerocopy.internal.storage.ObjectStoreCommitter;
import io.rayzerocopy.internal.storage.Storage;
import io.rayzerocopy.internal.storage.Tree;

import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The hidden directory next to a job's output where the output is built, split by split, before it
 * is committed in one rename:
 *
 * <pre>
 * .&lt;out&gt;.rzc-tmp-&lt;pid&gt;-&lt;start&gt;-&lt;random&gt;[@host]/   its owner in its name: a dead owner is recognized
 *     job.json          what the job reads and how ({@link JobRecord}), if it can be resumed
 *     splits/&lt;k&gt;.json   one per committed split: its files and row counts
 *     data/             part files, part-&lt;k&gt;-&lt;n&gt;.parquet (and _errors/...); becomes the output
 * </pre>
 *
 * <p>A split is the unit of work and of resumption: {@link SplitWriter} writes one split's part
 * files (and side datasets such as {@code _errors}) into {@code data/} and commits them with a
 * record when the split is complete. A file belongs to the output only once a record names it, so a
 * job killed at any point leaves complete splits recorded, and files of others that a resume
 * deletes. Opening a staging area removes those of dead jobs on the same output or, when resuming,
 * continues the latest one if it recorded the same job.
 *
 * <p>On a file system whose renames are atomic ({@link Tree}: a local disk, HDFS) the output is
 * committed by renames. On an object store ({@code s3a://}) nothing is renamed: the part files are
 * written through Hadoop's committer protocol ({@link ObjectStoreCommitter}, one task per split) as
 * pending uploads to their final names ({@code part-<split>-<n>.parquet}), which the job commit
 * completes; {@code data/} is not used there. On a shared file system the owner's name also records its host ({@code @host}); a job
 * started on another host is never taken for dead, since its process cannot be looked up here.
 */
public final class StagingArea {
    private static final Logger LOG = LoggerFactory.getLogger(StagingArea.class);
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    private static final Gson PRETTY =
            new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create();
    private static final String TMP = ".rzc-tmp-";
    private static final String JOB = "job.json";
    private static final String SPLITS = "splits";
    private static final String DATA = "data";
    private static final String SUCCESS = "_SUCCESS";

    /** On an object store: the UUID of the job's {@link ObjectStoreCommitter}. */
    private static final String UPLOADS = "uploads";

    /** The owner part of the name of a staging directory no process works on any more. */
    private static final String RELEASED = "released-";

    /** One committed split: its part files (relative to {@code data/}) and rows. */
    record SplitRecord(
            String split, int index, List<String> files, long rows, Map<String, Long> sideRows) {}

    /**
     * A staging directory of a job on some output (a local path or a URI), and whether its owner
     * still runs.
     */
    public record Leftover(String directory, long pid, boolean alive, int committedSplits) {
        /** Who left it: the job's process, or a failed run that kept it for a resume. */
        public String owner() {
            return pid >= 0 ? "job pid " + pid : "a failed run, kept to be resumed";
        }
    }

    private final Tree tree;
    private final Path output;
    private final ParquetWriteOptions options;
    private final JobRecord job;
    private final Map<String, SplitRecord> committed = new LinkedHashMap<>();
    private final Set<String> resumed;
    private final Path root;
    private final OpenFiles openFiles;

    /** The committer of an output on an object store; {@code null} where renames commit. */
    private final ObjectStoreCommitter committer;

    /**
     * Set when the object store could not be reached while giving up: each later clean-up call
     * would only wait out its retries, so they are skipped (the next job cleans up).
     */
    private volatile boolean unreachable;

    private int nextIndex;

    private StagingArea(
            Tree tree,
            Path output,
            ParquetWriteOptions options,
            JobRecord job,
            Path root,
            ObjectStoreCommitter committer,
            Map<String, SplitRecord> adopted) {
        this.tree = tree;
        this.committer = committer;
        this.output = output;
        this.options = options;
        this.job = job;
        this.root = root;
        this.openFiles = new OpenFiles(options.maxOpenFiles());
        this.committed.putAll(adopted);
        this.resumed = Set.copyOf(adopted.keySet());
        this.nextIndex = job == null ? 0 : job.splits().size();
        for (SplitRecord record : adopted.values()) {
            nextIndex = Math.max(nextIndex, record.index() + 1);
        }
    }

    /**
     * A staging area for {@code output} (a path or URI) on {@code tree}. Staging directories of
     * dead jobs on the same output are removed, except that with {@code options.resume()} the
     * latest one that recorded a job is continued if it recorded {@code job}.
     *
     * @param job what this job reads and how, or {@code null} if it cannot be resumed
     * @throws IllegalArgumentException if resuming is asked for and the earlier job differs (naming
     *     what changed), is still running, or this job cannot be resumed
     * @throws UncheckedIOException if the directory cannot be created; the message carries the
     *     system's reason
     */
    static StagingArea open(Tree tree, Path output, ParquetWriteOptions options, JobRecord job) {
        if (options.resume() && job == null) {
            throw new IllegalArgumentException(
                    "only a job reading Parquet files can be resumed ("
                            + SettingNames.RESUME
                            + "); its input must be readable again as it was");
        }
        List<Leftover> leftovers = leftovers(tree, output);
        Leftover resumable = options.resume() ? resumable(tree, output, leftovers) : null;
        for (Leftover leftover : leftovers) {
            if (!leftover.alive() && leftover != resumable) {
                remove(tree, leftover, options.resume());
            }
        }
        if (resumable != null) {
            return adopt(tree, output, options, job, resumable);
        }
        if (options.resume()) {
            LOG.info(
                    "no staging directory of an earlier job on {} to resume: starting",
                    tree.name(output));
        }
        Path root = new Path(output.getParent(), prefix(output) + owner(tree));
        ObjectStoreCommitter committer = null;
        try {
            tree.createDirectories(output.getParent());
            tree.createDirectory(root);
            tree.createDirectory(new Path(root, SPLITS));
            if (ObjectStoreCommitter.isNeeded(tree)) {
                String uuid = UUID.randomUUID().toString();
                tree.writeAtomically(new Path(root, UPLOADS), uuid);
                committer = ObjectStoreCommitter.start(output, uuid);
            } else {
                tree.createDirectory(new Path(root, DATA));
            }
            if (job != null) {
                tree.writeAtomically(new Path(root, JOB), GSON.toJson(job));
            }
        } catch (IOException e) {
            deleteQuietly(tree, root);
            throw new UncheckedIOException(
                    "cannot create a staging directory next to "
                            + tree.name(output)
                            + ": "
                            + reason(e),
                    e);
        }
        return new StagingArea(tree, output, options, job, root, committer, Map.of());
    }

    /** The latest staging directory that recorded a job, after checking that none is in use. */
    private static Leftover resumable(Tree tree, Path output, List<Leftover> leftovers) {
        for (Leftover leftover : leftovers) {
            if (leftover.alive()) {
                throw new IllegalArgumentException(
                        "cannot resume: "
                                + leftover.owner()
                                + " is still writing "
                                + tree.name(output)
                                + " (in "
                                + Storage.mask(leftover.directory())
                                + "); wait for it to end or stop it first");
            }
        }
        return leftovers.stream()
                .filter(l -> isFile(tree, new Path(tree.path(l.directory()), JOB)))
                .max(Comparator.comparing(l -> modified(tree, tree.path(l.directory()))))
                .orElse(null);
    }

    /**
     * Checks that a staging directory can be made next to {@code output} (a path or URI), by
     * making one and removing it, before a job spends time on anything else.
     *
     * @throws UncheckedIOException naming the directory and the system's reason if not
     * @throws IllegalArgumentException if the output's file system cannot be used
     */
    public static void checkCanStage(String output) {
        Tree tree = Tree.of(output);
        Path dir = tree.path(linkTarget(output, false));
        Path probe = new Path(dir.getParent(), prefix(dir) + owner(tree));
        try {
            tree.createDirectories(dir.getParent());
            tree.createDirectory(probe);
            tree.deleteTree(probe);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create a staging directory next to "
                            + tree.name(dir)
                            + ": "
                            + reason(e),
                    e);
        }
    }

    /**
     * Where a job on {@code output} commits: a local output given as a symbolic link is written at
     * its target ({@link OutputLink}); any other location is itself.
     */
    static String linkTarget(String output, boolean log) {
        if (!Storage.isLocal(output)) {
            return output;
        }
        java.nio.file.Path local = Storage.localPath(output).toAbsolutePath().normalize();
        return (log ? OutputLink.targetLogged(local) : OutputLink.target(local)).toString();
    }

    /**
     * The staging directories of jobs on {@code output} (a path or URI), dead or alive; a job on an
     * output given as a symbolic link stages next to the link's target, so that is where they are.
     */
    public static List<Leftover> leftovers(String output) {
        String staged = linkTarget(output, false);
        Tree tree = Tree.of(staged);
        return leftovers(tree, tree.path(staged));
    }

    private static List<Leftover> leftovers(Tree tree, Path dir) {
        Path parent = dir.getParent();
        List<Leftover> found = new ArrayList<>();
        if (parent == null) {
            return found;
        }
        String prefix = prefix(dir);
        try {
            for (Path entry : tree.children(parent, prefix)) {
                if (!tree.isDirectory(entry)) {
                    continue;
                }
                String owner = entry.getName().substring(prefix.length());
                found.add(
                        new Leftover(
                                tree.name(entry),
                                LeaseNames.pid(owner),
                                isAlive(owner),
                                readRecords(tree, entry).size()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot list " + tree.name(parent) + ": " + reason(e), e);
        }
        return found;
    }

    /**
     * Removes the staging directories of dead jobs on {@code output} (at its target, if it is a
     * symbolic link) and on every output directly inside it; returns what was removed.
     */
    public static List<Leftover> removeDead(String output) {
        String staged = linkTarget(output, false);
        Tree tree = Tree.of(staged);
        Path dir = tree.path(staged);
        List<Leftover> candidates = new ArrayList<>(leftovers(tree, dir));
        try {
            for (Path entry : tree.children(dir, ".")) {
                String name = entry.getName();
                if (!name.contains(TMP)) {
                    continue;
                }
                Path target = new Path(dir, name.substring(1, name.indexOf(TMP)));
                for (Leftover leftover : leftovers(tree, target)) {
                    if (leftover.directory().equals(tree.name(entry))) {
                        candidates.add(leftover);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + tree.name(dir) + ": " + reason(e), e);
        }
        List<Leftover> removed = new ArrayList<>();
        for (Leftover leftover : candidates) {
            if (!leftover.alive()) {
                deleteLeftover(tree, tree.path(leftover.directory()));
                removed.add(leftover);
            }
        }
        return removed;
    }

    private static StagingArea adopt(
            Tree tree,
            Path output,
            ParquetWriteOptions options,
            JobRecord job,
            Leftover leftover) {
        Path old = tree.path(leftover.directory());
        JobRecord earlier;
        try {
            earlier = GSON.fromJson(tree.read(new Path(old, JOB)), JobRecord.class);
        } catch (IOException | JsonParseException e) {
            throw new IllegalArgumentException(
                    "cannot resume from "
                            + tree.name(old)
                            + ": its job record is unreadable ("
                            + e
                            + "); start over without "
                            + SettingNames.RESUME,
                    e);
        }
        String changed = job.differences(earlier);
        if (changed != null) {
            throw new IllegalArgumentException(
                    "cannot resume the job staged in "
                            + tree.name(old)
                            + ": "
                            + changed
                            + ". Restore what changed, or start over without "
                            + SettingNames.RESUME
                            + " (which removes that directory)");
        }
        Path root = new Path(output.getParent(), prefix(output) + owner(tree));
        try {
            // Renaming claims it: of two jobs resuming at once, one rename fails.
            tree.rename(old, root);
        } catch (IOException e) {
            throw new DatasetException(
                    "cannot take over " + tree.name(old) + " to resume it: " + reason(e), e);
        }
        ObjectStoreCommitter committer = null;
        Map<String, SplitRecord> records;
        if (ObjectStoreCommitter.isNeeded(tree)) {
            committer = resumeUploads(tree, output, root);
            // A record is written after its task's commit: each names uploads the commit has.
            records = new LinkedHashMap<>();
            for (SplitRecord record : readRecords(tree, root)) {
                records.put(record.split(), record);
            }
        } else {
            records = keepComplete(tree, root, job);
        }
        LOG.info(
                "resuming the job of {} from {}: {} of {} splits are already committed",
                leftover.owner(),
                tree.name(root),
                records.size(),
                job.splits().size());
        return new StagingArea(tree, output, options, job, root, committer, records);
    }

    /** The committer of the job staged in {@code root}, or {@code null} if it recorded none. */
    private static ObjectStoreCommitter resumeUploads(Tree tree, Path output, Path root) {
        Path uploads = new Path(root, UPLOADS);
        try {
            return isFile(tree, uploads)
                    ? ObjectStoreCommitter.resume(output, tree.read(uploads).trim())
                    : null;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read " + tree.name(uploads) + ": " + reason(e), e);
        }
    }

    /**
     * The records of {@code root} whose files are all there and whose split {@code job} reads;
     * the other records and every file no kept record names are deleted.
     */
    private static Map<String, SplitRecord> keepComplete(Tree tree, Path root, JobRecord job) {
        Path data = new Path(root, DATA);
        Map<String, SplitRecord> records = new LinkedHashMap<>();
        Set<String> referenced = new HashSet<>();
        try {
            for (SplitRecord record : readRecords(tree, root)) {
                boolean complete = true;
                for (String file : record.files()) {
                    complete &= tree.isFile(new Path(data, file));
                }
                if (complete && job.splits().contains(record.split())) {
                    records.put(record.split(), record);
                    referenced.addAll(record.files());
                } else {
                    tree.deleteTree(recordPath(root, record.index()));
                }
            }
            String prefix = data.toUri().getPath() + "/";
            for (Path file : tree.files(data)) {
                if (!referenced.contains(file.toUri().getPath().substring(prefix.length()))) {
                    tree.deleteTree(file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot clean " + tree.name(root) + " to resume it: " + reason(e), e);
        }
        return records;
    }

    /** The staging directory, as a path or URI. */
    public String directory() {
        return tree.name(root);
    }

    /** The file system of the output. */
    Tree tree() {
        return tree;
    }

    /** The part files of partitioned output open now, across splits. */
    OpenFiles openFiles() {
        return openFiles;
    }

    /** The staging directory's path on {@link #tree()}. */
    Path root() {
        return root;
    }

    /** The splits this job took over already committed from the job it resumed. */
    public Set<String> resumedSplits() {
        return resumed;
    }

    /** Rows of the main dataset in committed splits. */
    public synchronized long committedRows() {
        return committed.values().stream().mapToLong(SplitRecord::rows).sum();
    }

    /** Rows of side dataset {@code name} in committed splits. */
    public synchronized long committedRows(String name) {
        return committed.values().stream()
                .mapToLong(r -> r.sideRows().getOrDefault(name, 0L))
                .sum();
    }

    /** Rows of the resumed splits in the main dataset. */
    public synchronized long resumedRows() {
        return committed.values().stream()
                .filter(r -> resumed.contains(r.split()))
                .mapToLong(SplitRecord::rows)
                .sum();
    }

    /** Starts writing split {@code name} with {@code compressor} (used by one thread at a time). */
    public synchronized SplitWriter newSplit(
            String name, CompressionCodecFactory.BytesInputCompressor compressor) {
        if (committed.containsKey(name)) {
            throw new IllegalStateException("split " + name + " is already committed");
        }
        int index = job == null ? -1 : job.splits().indexOf(name);
        if (index < 0) {
            index = nextIndex++;
        }
        Path data;
        try {
            data = committer == null ? new Path(root, DATA) : committer.workPath(index);
        } catch (IOException e) {
            throw new DatasetException(
                    "cannot start writing " + name + " to " + tree.name(output) + ": " + reason(e),
                    e);
        }
        return new SplitWriter(this, name, index, data, compressor, options);
    }

    /** Drops the uploads of split {@code index}, which was not committed. */
    void abandonSplit(int index) {
        if (committer == null || unreachable) {
            return;
        }
        try {
            committer.abortTask(index);
        } catch (IOException e) {
            // Its uploads stay pending, invisible; the job's commit or abort aborts them.
            unreachable = Storage.isUnreachable(e);
            LOG.warn("could not abort the uploads of split {}: {}", index, reason(e));
        }
    }

    /** Records a complete split: from now on its files (under {@code data/}) are output. */
    synchronized void commitSplit(
            String name,
            int index,
            Path dataDir,
            List<Path> files,
            long rows,
            Map<String, Long> sideRows)
            throws IOException {
        if (committer != null) {
            committer.commitTask(index);
        }
        String data = dataDir.toUri().getPath() + "/";
        List<String> names =
                files.stream().map(f -> f.toUri().getPath().substring(data.length())).toList();
        SplitRecord record = new SplitRecord(name, index, names, rows, sideRows);
        tree.writeAtomically(recordPath(root, index), GSON.toJson(record));
        committed.put(name, record);
    }

    /**
     * Names the committed part files in split order ({@code part-00000.parquet}, ...; in each
     * partition directory of a partitioned dataset; an empty file with {@code emptySchema} if no
     * split wrote rows and a schema is known), writes {@code
     * _SUCCESS} (a JSON manifest of the files and rows, as Spark's committers write) and moves them
     * into place as the output, replacing an existing one as the save mode allows.
     *
     * @return the main dataset's files at their final locations
     */
    synchronized List<String> commit(
            Schema emptySchema, CompressionCodecFactory.BytesInputCompressor compressor)
            throws IOException {
        long start = System.nanoTime();
        List<String> files =
                committer != null
                        ? commitUploads(emptySchema, compressor)
                        : commitByRenames(emptySchema, compressor);
        LOG.info(
                "committed {} ({} files) in {} ms",
                tree.name(output),
                files.size(),
                (System.nanoTime() - start) / 1_000_000);
        return files;
    }

    /** Commits an output on a file system whose renames are atomic: see {@link #commit}. */
    private List<String> commitByRenames(
            Schema emptySchema, CompressionCodecFactory.BytesInputCompressor compressor)
            throws IOException {
        Path data = new Path(root, DATA);
        Map<String, List<Path>> byDataset = new TreeMap<>();
        committed.values().stream()
                .sorted(Comparator.comparingInt(SplitRecord::index))
                .forEach(
                        record -> {
                            for (String file : record.files()) {
                                int slash = file.lastIndexOf('/');
                                byDataset
                                        .computeIfAbsent(
                                                slash < 0 ? "" : file.substring(0, slash),
                                                k -> new ArrayList<>())
                                        .add(new Path(data, file));
                            }
                        });
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, List<Path>> dataset : byDataset.entrySet()) {
            List<Path> files = dataset.getValue();
            Path dir = dataset.getKey().isEmpty() ? data : new Path(data, dataset.getKey());
            for (int i = 0; i < files.size(); i++) {
                String name = String.format("part-%05d.parquet", i);
                tree.rename(files.get(i), new Path(dir, name));
                names.add(dataset.getKey().isEmpty() ? name : dataset.getKey() + "/" + name);
            }
        }
        boolean anyData = byDataset.keySet().stream().anyMatch(d -> !d.startsWith("_"));
        if (!anyData && emptySchema != null) {
            Path empty = new Path(data, "part-00000.parquet");
            new PartFileWriter(
                            tree.output(empty),
                            tree.name(empty),
                            emptySchema,
                            compressor,
                            options.rowsPerRowGroup())
                    .close();
            names.add(0, "part-00000.parquet");
        }
        tree.writeAtomically(
                new Path(data, SUCCESS),
                PRETTY.toJson(
                        success(
                                names,
                                "rzc-staging-rename",
                                "rows written by ray-zerocopy, committed by one directory"
                                        + " rename")));
        replaceOutput(data);
        deleteAfterCommit(tree, root);
        return names.stream()
                .filter(n -> !n.startsWith("_"))
                .map(n -> tree.name(new Path(output, n)))
                .toList();
    }

    /**
     * Commits an output on an object store: the old {@code _SUCCESS} goes first (readers that
     * trust it must not take a mix for a finished table), then every split's pending uploads are
     * completed at their final names, an old output's other files are deleted (with {@code
     * OVERWRITE}), and the new {@code _SUCCESS} is written last.
     */
    private List<String> commitUploads(
            Schema emptySchema, CompressionCodecFactory.BytesInputCompressor compressor)
            throws IOException {
        List<String> names = new ArrayList<>();
        committed.values().stream()
                .sorted(Comparator.comparingInt(SplitRecord::index))
                .forEach(record -> names.addAll(record.files()));
        names.sort(Comparator.comparing((String n) -> n.startsWith("_")));
        List<Path> old = List.of();
        if (tree.exists(output)) {
            ParquetSink.checkTarget(tree, output, options.saveMode());
            old = tree.files(output).stream().filter(f -> !isMagic(output, f)).toList();
            tree.deleteTree(new Path(output, SUCCESS));
        }
        committer.commitJob();
        if (names.stream().allMatch(n -> n.startsWith("_")) && emptySchema != null) {
            Path empty = new Path(output, "part-00000.parquet");
            new PartFileWriter(
                            tree.output(empty),
                            tree.name(empty),
                            emptySchema,
                            compressor,
                            options.rowsPerRowGroup())
                    .close();
            names.add(0, "part-00000.parquet");
        }
        String prefix = output.toUri().getPath() + "/";
        for (Path file : old) {
            if (!names.contains(file.toUri().getPath().substring(prefix.length()))) {
                tree.deleteTree(file);
            }
        }
        tree.writeAtomically(
                new Path(output, SUCCESS),
                PRETTY.toJson(
                        success(
                                names,
                                "rzc-s3a-magic",
                                "rows written by ray-zerocopy as pending multipart uploads,"
                                        + " completed by the job commit")));
        deleteAfterCommit(tree, root);
        return names.stream()
                .filter(n -> !n.startsWith("_"))
                .map(n -> tree.name(new Path(output, n)))
                .toList();
    }

    /** Whether {@code file} is in a directory the S3A magic committer keeps under the output. */
    private static boolean isMagic(Path output, Path file) {
        String relative = file.toUri().getPath().substring(output.toUri().getPath().length());
        return relative.startsWith("/" + ObjectStoreCommitter.MAGIC_PREFIX);
    }

    /** The {@code _SUCCESS} manifest: the fields Spark's committers write that we know. */
    private Map<String, Object> success(List<String> files, String committer, String description) {
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("name", "io.rayzerocopy.StagingArea");
        manifest.put("timestamp", System.currentTimeMillis());
        manifest.put("date", Instant.now().toString());
        manifest.put("hostname", host());
        manifest.put("committer", committer);
        manifest.put("description", description);
        Map<String, Long> metrics = new LinkedHashMap<>();
        metrics.put("rows", committedRows());
        metrics.put("splits", (long) committed.size());
        metrics.put("resumed_splits", (long) resumed.size());
        Set<String> sides = new java.util.TreeSet<>();
        committed.values().forEach(r -> sides.addAll(r.sideRows().keySet()));
        for (String side : sides) {
            metrics.put("rows" + side, committedRows(side));
        }
        manifest.put("metrics", metrics);
        manifest.put("filenames", files);
        return manifest;
    }

    /**
     * Gives up without committing: removes the staging directory, except that a job that can be
     * resumed keeps its committed splits for a later run (only its unfinished files go).
     */
    synchronized void abandon() {
        if (unreachable) {
            LOG.warn(
                    "left {} and the job's pending uploads to {} in place: the store cannot be"
                            + " reached; the next job on this output (or rzc clean) removes them",
                    tree.name(root),
                    tree.name(output));
            return;
        }
        if (options.resume() && !committed.isEmpty()) {
            // Renamed to an owner that is no process: a later job, even in this JVM, may take it.
            Path released =
                    new Path(root.getParent(), prefix(output) + RELEASED + UUID.randomUUID());
            try {
                tree.rename(root, released);
            } catch (IOException e) {
                released = root;
                LOG.warn("could not release {}: {}", tree.name(root), reason(e));
            }
            LOG.warn(
                    "kept {} with {} committed splits: run the job again with {} to continue"
                            + " from there",
                    tree.name(released),
                    committed.size(),
                    SettingNames.RESUME);
            return;
        }
        abortUploads(tree, output, committer);
        // Failing here (the file system died) must not hide why the job failed: the next job on
        // this output, or rzc clean, removes it.
        deleteQuietly(tree, root);
    }

    /**
     * Aborts the pending uploads of {@code committer}'s job (none: a rename-committed output) and
     * deletes what the committer kept under the output.
     */
    private static void abortUploads(Tree tree, Path output, ObjectStoreCommitter committer) {
        if (committer == null) {
            return;
        }
        try {
            committer.abortJob();
            if (tree.isDirectory(output) && isEmptyDirectory(tree, output)) {
                // The committer's directory made the output exist: leave it as it was, absent.
                tree.deleteEmptyDirectory(output);
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warn(
                    "could not abort the pending uploads to {} ({}); they stay invisible until"
                            + " the bucket's lifecycle rule or the next job on it aborts them",
                    tree.name(output),
                    e.getMessage());
        }
    }

    /** Deletes the staging directory after the JVM was asked to exit before the job committed. */
    void deleteAtExit() {
        if (!keepsOnExit()) {
            abortUploads(tree, output, committer);
            deleteQuietly(tree, root);
        }
    }

    /** Whether {@link #abandon()} would keep the directory if the JVM exits now. */
    boolean keepsOnExit() {
        return options.resume();
    }

    private void replaceOutput(Path data) throws IOException {
        Path backup = null;
        if (tree.exists(output)) {
            ParquetSink.checkTarget(tree, output, options.saveMode());
            if (isEmptyDirectory(tree, output)) {
                tree.deleteEmptyDirectory(output);
            } else {
                backup =
                        new Path(
                                output.getParent(),
                                "." + output.getName() + ".rzc-old-" + UUID.randomUUID());
                tree.rename(output, backup);
            }
        }
        try {
            tree.rename(data, output);
        } catch (IOException e) {
            if (backup != null) {
                tree.rename(backup, output);
            }
            throw e;
        }
        if (backup != null) {
            try {
                deleteRecursively(tree, backup);
            } catch (UncheckedIOException e) {
                // The job succeeded: its output is complete and in place. Only the old output's
                // remains are left, hidden; say where, so they can be deleted by hand.
                LOG.warn(
                        "replaced {}, but could not delete the old output moved to {} ({});"
                                + " delete it by hand",
                        tree.name(output),
                        tree.name(backup),
                        reason(e.getCause()));
            }
        }
    }

    private static void deleteAfterCommit(Tree tree, Path root) {
        try {
            deleteRecursively(tree, root);
        } catch (UncheckedIOException e) {
            LOG.warn(
                    "committed the output, but could not delete the staging directory {} ({});"
                            + " delete it by hand",
                    tree.name(root),
                    reason(e.getCause()));
        }
    }

    private static void remove(Tree tree, Leftover leftover, boolean resuming) {
        if (leftover.committedSplits() > 0 && !resuming) {
            LOG.warn(
                    "removing {}, left by {} that ended with {} splits committed; to continue"
                            + " such a job instead, run it with {}",
                    Storage.mask(leftover.directory()),
                    leftover.owner(),
                    leftover.committedSplits(),
                    SettingNames.RESUME);
        } else {
            LOG.info(
                    "removing {}, left by {} that ended",
                    Storage.mask(leftover.directory()),
                    leftover.owner());
        }
        deleteLeftover(tree, tree.path(leftover.directory()));
    }

    /** Deletes the staging directory {@code dir} of a dead job, aborting its pending uploads. */
    private static void deleteLeftover(Tree tree, Path dir) {
        String name = dir.getName();
        Path output = new Path(dir.getParent(), name.substring(1, name.indexOf(TMP)));
        abortUploads(tree, output, resumeUploads(tree, output, dir));
        deleteRecursively(tree, dir);
    }

    private static List<SplitRecord> readRecords(Tree tree, Path root) {
        Path dir = new Path(root, SPLITS);
        List<SplitRecord> records = new ArrayList<>();
        try {
            for (Path file : tree.children(dir, "")) {
                if (!file.getName().endsWith(".json") || file.getName().startsWith(".")) {
                    continue;
                }
                try {
                    SplitRecord record = GSON.fromJson(tree.read(file), SplitRecord.class);
                    if (record != null && record.split() != null && record.files() != null) {
                        records.add(record);
                    }
                } catch (IOException | JsonParseException e) {
                    LOG.warn(
                            "ignoring unreadable split record {}: {}",
                            tree.name(file),
                            e.toString());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + tree.name(dir) + ": " + reason(e), e);
        }
        return records;
    }

    private static Path recordPath(Path root, int index) {
        return new Path(new Path(root, SPLITS), index + ".json");
    }

    private static String prefix(Path output) {
        return "." + output.getName() + TMP;
    }

    /**
     * This process's name as an owner: on a file system other machines share, with its host, so
     * that no other machine takes it for dead.
     */
    private static String owner(Tree tree) {
        String name = LeaseNames.newName();
        return tree.isShared() ? name + "@" + host() : name;
    }

    /** Whether the owner named {@code owner} runs; one on another host counts as running. */
    private static boolean isAlive(String owner) {
        int at = owner.lastIndexOf('@');
        if (at >= 0 && !owner.substring(at + 1).equals(host())) {
            return true;
        }
        return LeaseNames.isAlive(at < 0 ? owner : owner.substring(0, at));
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    private static boolean isFile(Tree tree, Path file) {
        try {
            return tree.isFile(file);
        } catch (IOException e) {
            return false;
        }
    }

    private static Instant modified(Tree tree, Path dir) {
        try {
            return tree.modified(dir);
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }

    /**
     * The system's reason for a failed file operation, e.g. "Permission denied" (Java reports that
     * one with the path alone).
     */
    static String reason(Throwable e) {
        String objectStore = Storage.objectStoreReason(e);
        if (objectStore != null) {
            return objectStore;
        }
        if (e instanceof AccessDeniedException denied) {
            return "Permission denied (" + denied.getFile() + ")";
        }
        if (e instanceof NoSuchFileException missing) {
            return "No such file or directory (" + missing.getFile() + ")";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason() + " (" + fs.getFile() + ")";
        }
        return e instanceof IOException ? Storage.describe(e) : String.valueOf(e);
    }

    /**
     * Whether {@code dir} holds nothing but what the S3A magic committer of a job that did not
     * commit left ({@code __magic_job-...}, aborted by the next job).
     */
    static boolean isEmptyDirectory(Tree tree, Path dir) {
        try {
            return tree.children(dir, "").stream()
                    .allMatch(c -> c.getName().startsWith(ObjectStoreCommitter.MAGIC_PREFIX));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + tree.name(dir) + ": " + reason(e), e);
        }
    }

    static void deleteRecursively(Tree tree, Path path) {
        try {
            tree.deleteTree(path);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot delete " + tree.name(path) + ": " + reason(e), e);
        }
    }

    private static void deleteQuietly(Tree tree, Path path) {
        try {
            deleteRecursively(tree, path);
        } catch (UncheckedIOException e) {
            LOG.warn("could not delete {}: {}", tree.name(path), e.getMessage());
        }
    }
}
