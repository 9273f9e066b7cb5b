package io.rayzerocopy.internal.data;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;

import io.rayzerocopy.DatasetException;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.internal.FileTrees;
import io.rayzerocopy.internal.model.LeaseNames;

import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The hidden directory next to a job's output where the output is built, split by split, before it
 * is committed in one rename:
 *
 * <pre>
 * .&lt;out&gt;.rzc-tmp-&lt;pid&gt;-&lt;start&gt;-&lt;random&gt;/   its owner in its name: a dead owner is recognized
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
 */
public final class StagingArea {
    private static final Logger LOG = LoggerFactory.getLogger(StagingArea.class);
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    private static final String TMP = ".rzc-tmp-";
    private static final String JOB = "job.json";
    private static final String SPLITS = "splits";
    private static final String DATA = "data";

    /** The owner part of the name of a staging directory no process works on any more. */
    private static final String RELEASED = "released-";

    /** One committed split: its part files (relative to {@code data/}) and rows. */
    record SplitRecord(
            String split, int index, List<String> files, long rows, Map<String, Long> sideRows) {}

    /** A staging directory of a job on some output, and whether its owner still runs. */
    public record Leftover(Path directory, long pid, boolean alive, int committedSplits) {
        /** Who left it: the job's process, or a failed run that kept it for a resume. */
        public String owner() {
            return pid >= 0 ? "job pid " + pid : "a failed run, kept to be resumed";
        }
    }

    private final Path output;
    private final ParquetWriteOptions options;
    private final JobRecord job;
    private final Map<String, SplitRecord> committed = new LinkedHashMap<>();
    private final Set<String> resumed;
    private final Path root;
    private int nextIndex;

    private StagingArea(
            Path output,
            ParquetWriteOptions options,
            JobRecord job,
            Path root,
            Map<String, SplitRecord> adopted) {
        this.output = output;
        this.options = options;
        this.job = job;
        this.root = root;
        this.committed.putAll(adopted);
        this.resumed = Set.copyOf(adopted.keySet());
        this.nextIndex = job == null ? 0 : job.splits().size();
        for (SplitRecord record : adopted.values()) {
            nextIndex = Math.max(nextIndex, record.index() + 1);
        }
    }

    /**
     * A staging area for {@code output} (absolute and normalized). Staging directories of dead jobs
     * on the same output are removed, except that with {@code options.resume()} the latest one that
     * recorded a job is continued if it recorded {@code job}.
     *
     * @param job what this job reads and how, or {@code null} if it cannot be resumed
     * @throws IllegalArgumentException if resuming is asked for and the earlier job differs (naming
     *     what changed), is still running, or this job cannot be resumed
     * @throws UncheckedIOException if the directory cannot be created; the message carries the
     *     system's reason
     */
    static StagingArea open(Path output, ParquetWriteOptions options, JobRecord job) {
        if (options.resume() && job == null) {
            throw new IllegalArgumentException(
                    "only a job reading Parquet files can be resumed ("
                            + SettingNames.RESUME
                            + "); its input must be readable again as it was");
        }
        List<Leftover> leftovers = leftovers(output);
        Leftover resumable = null;
        if (options.resume()) {
            for (Leftover leftover : leftovers) {
                if (leftover.alive()) {
                    throw new IllegalArgumentException(
                            "cannot resume: "
                                    + leftover.owner()
                                    + " is still writing "
                                    + output
                                    + " (in "
                                    + leftover.directory()
                                    + "); wait for it to end or stop it first");
                }
            }
            resumable =
                    leftovers.stream()
                            .filter(l -> Files.isRegularFile(l.directory().resolve(JOB)))
                            .max(Comparator.comparing(l -> modified(l.directory())))
                            .orElse(null);
        }
        for (Leftover leftover : leftovers) {
            if (!leftover.alive() && leftover != resumable) {
                remove(leftover, options.resume());
            }
        }
        if (resumable != null) {
            return adopt(output, options, job, resumable);
        }
        if (options.resume()) {
            LOG.info("no staging directory of an earlier job on {} to resume: starting", output);
        }
        Path root = output.resolveSibling(prefix(output) + LeaseNames.newName());
        try {
            Files.createDirectories(output.getParent());
            Files.createDirectory(root);
            Files.createDirectory(root.resolve(DATA));
            Files.createDirectory(root.resolve(SPLITS));
            if (job != null) {
                writeAtomically(root.resolve(JOB), GSON.toJson(job));
            }
        } catch (IOException e) {
            deleteQuietly(root);
            throw new UncheckedIOException(
                    "cannot create a staging directory next to " + output + ": " + reason(e), e);
        }
        return new StagingArea(output, options, job, root, Map.of());
    }

    /**
     * Checks that a staging directory can be made next to {@code output}, by making one and
     * removing it, before a job spends time on anything else.
     *
     * @throws UncheckedIOException naming the directory and the system's reason if not
     */
    public static void checkCanStage(Path output) {
        Path dir = OutputLink.target(output.toAbsolutePath().normalize());
        Path probe = dir.resolveSibling(prefix(dir) + LeaseNames.newName());
        try {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(probe);
            Files.delete(probe);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create a staging directory next to " + dir + ": " + reason(e), e);
        }
    }

    /** The staging directories of jobs on {@code output}, dead or alive. */
    public static List<Leftover> leftovers(Path output) {
        Path dir = output.toAbsolutePath().normalize();
        Path parent = dir.getParent();
        List<Leftover> found = new ArrayList<>();
        if (parent == null || !Files.isDirectory(parent)) {
            return found;
        }
        String prefix = prefix(dir);
        try (DirectoryStream<Path> entries =
                Files.newDirectoryStream(
                        parent, p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path entry : entries) {
                if (!Files.isDirectory(entry)) {
                    continue;
                }
                String owner = entry.getFileName().toString().substring(prefix.length());
                found.add(
                        new Leftover(
                                entry,
                                LeaseNames.pid(owner),
                                LeaseNames.isAlive(owner),
                                readRecords(entry).size()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + parent, e);
        }
        return found;
    }

    /**
     * Removes the staging directories of dead jobs on {@code output} and on every output directly
     * inside {@code output}; returns what was removed.
     */
    public static List<Leftover> removeDead(Path output) {
        Path dir = output.toAbsolutePath().normalize();
        List<Leftover> candidates = new ArrayList<>(leftovers(dir));
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> entries =
                    Files.newDirectoryStream(
                            dir,
                            p ->
                                    p.getFileName().toString().startsWith(".")
                                            && p.getFileName().toString().contains(TMP))) {
                for (Path entry : entries) {
                    String name = entry.getFileName().toString();
                    String target = name.substring(1, name.indexOf(TMP));
                    for (Leftover leftover : leftovers(dir.resolve(target))) {
                        if (leftover.directory().equals(entry)) {
                            candidates.add(leftover);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + dir, e);
            }
        }
        List<Leftover> removed = new ArrayList<>();
        for (Leftover leftover : candidates) {
            if (!leftover.alive()) {
                deleteRecursively(leftover.directory());
                removed.add(leftover);
            }
        }
        return removed;
    }

    private static StagingArea adopt(
            Path output, ParquetWriteOptions options, JobRecord job, Leftover leftover) {
        Path old = leftover.directory();
        JobRecord earlier;
        try {
            earlier = GSON.fromJson(Files.readString(old.resolve(JOB)), JobRecord.class);
        } catch (IOException | JsonParseException e) {
            throw new IllegalArgumentException(
                    "cannot resume from "
                            + old
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
                            + old
                            + ": "
                            + changed
                            + ". Restore what changed, or start over without "
                            + SettingNames.RESUME
                            + " (which removes that directory)");
        }
        Path root = output.resolveSibling(prefix(output) + LeaseNames.newName());
        try {
            // Renaming claims it: of two jobs resuming at once, one rename fails.
            Files.move(old, root, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new DatasetException(
                    "cannot take over " + old + " to resume it: " + reason(e), e);
        }
        Map<String, SplitRecord> records = new LinkedHashMap<>();
        Set<String> referenced = new HashSet<>();
        for (SplitRecord record : readRecords(root)) {
            boolean complete =
                    record.files().stream()
                            .allMatch(f -> Files.isRegularFile(root.resolve(DATA).resolve(f)));
            if (complete && job.splits().contains(record.split())) {
                records.put(record.split(), record);
                referenced.addAll(record.files());
            } else {
                deleteQuietly(recordPath(root, record.index()));
            }
        }
        try {
            try (Stream<Path> files = Files.walk(root.resolve(DATA))) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    if (!referenced.contains(root.resolve(DATA).relativize(file).toString())) {
                        Files.delete(file);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + root + " to resume it", e);
        }
        LOG.info(
                "resuming the job of {} from {}: {} of {} splits are already committed",
                leftover.owner(),
                root,
                records.size(),
                job.splits().size());
        return new StagingArea(output, options, job, root, records);
    }

    /** The staging directory. */
    public Path directory() {
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
        return new SplitWriter(this, name, index, root.resolve(DATA), compressor, options);
    }

    /** Records a complete split: from now on its files (under {@code data/}) are output. */
    synchronized void commitSplit(
            String name, int index, List<Path> files, long rows, Map<String, Long> sideRows)
            throws IOException {
        Path data = root.resolve(DATA);
        List<String> names = files.stream().map(f -> data.relativize(f).toString()).toList();
        SplitRecord record = new SplitRecord(name, index, names, rows, sideRows);
        writeAtomically(recordPath(root, index), GSON.toJson(record));
        committed.put(name, record);
    }

    /**
     * Names the committed part files in split order ({@code part-00000.parquet}, ...; an empty file
     * with {@code emptySchema} if no split wrote rows and a schema is known) and moves them into
     * place as the output, replacing an existing one as the save mode allows.
     *
     * @return the main dataset's files at their final paths
     */
    synchronized List<Path> commit(
            Schema emptySchema, CompressionCodecFactory.BytesInputCompressor compressor)
            throws IOException {
        Path data = root.resolve(DATA);
        Map<String, List<Path>> byDataset = new TreeMap<>();
        committed.values().stream()
                .sorted(Comparator.comparingInt(SplitRecord::index))
                .forEach(
                        record -> {
                            for (String file : record.files()) {
                                Path path = data.resolve(file);
                                Path parent = data.relativize(path).getParent();
                                byDataset
                                        .computeIfAbsent(
                                                parent == null ? "" : parent.toString(),
                                                k -> new ArrayList<>())
                                        .add(path);
                            }
                        });
        List<Path> mainFiles = new ArrayList<>();
        for (Map.Entry<String, List<Path>> dataset : byDataset.entrySet()) {
            List<Path> files = dataset.getValue();
            for (int i = 0; i < files.size(); i++) {
                Path target =
                        data.resolve(dataset.getKey())
                                .resolve(String.format("part-%05d.parquet", i));
                Files.move(files.get(i), target, StandardCopyOption.ATOMIC_MOVE);
                if (dataset.getKey().isEmpty()) {
                    mainFiles.add(output.resolve(data.relativize(target)));
                }
            }
        }
        if (mainFiles.isEmpty() && emptySchema != null) {
            Path empty = data.resolve("part-00000.parquet");
            new PartFileWriter(empty, emptySchema, compressor, options.rowsPerRowGroup()).close();
            mainFiles.add(output.resolve(data.relativize(empty)));
        }
        replaceOutput(data);
        deleteAfterCommit(root);
        return mainFiles;
    }

    /**
     * Gives up without committing: removes the staging directory, except that a job that can be
     * resumed keeps its committed splits for a later run (only its unfinished files go).
     */
    synchronized void abandon() {
        if (options.resume() && !committed.isEmpty()) {
            // Renamed to an owner that is no process: a later job, even in this JVM, may take it.
            Path released = root.resolveSibling(prefix(output) + RELEASED + UUID.randomUUID());
            try {
                Files.move(root, released, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                released = root;
                LOG.warn("could not release {}: {}", root, reason(e));
            }
            LOG.warn(
                    "kept {} with {} committed splits: run the job again with {} to continue"
                            + " from there",
                    released,
                    committed.size(),
                    SettingNames.RESUME);
            return;
        }
        deleteRecursively(root);
    }

    /** Whether {@link #abandon()} would keep the directory if the JVM exits now. */
    boolean keepsOnExit() {
        return options.resume();
    }

    private void replaceOutput(Path data) throws IOException {
        Path backup = null;
        if (Files.exists(output)) {
            ParquetSink.checkTarget(output, options.saveMode());
            if (isEmptyDirectory(output)) {
                Files.delete(output);
            } else {
                backup =
                        output.resolveSibling(
                                "." + output.getFileName() + ".rzc-old-" + UUID.randomUUID());
                Files.move(output, backup, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        try {
            Files.move(data, output, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (backup != null) {
                Files.move(backup, output, StandardCopyOption.ATOMIC_MOVE);
            }
            throw e;
        }
        if (backup != null) {
            try {
                deleteRecursively(backup);
            } catch (UncheckedIOException e) {
                // The job succeeded: its output is complete and in place. Only the old output's
                // remains are left, hidden; say where, so they can be deleted by hand.
                LOG.warn(
                        "replaced {}, but could not delete the old output moved to {} ({});"
                                + " delete it by hand",
                        output,
                        backup,
                        reason(e.getCause()));
            }
        }
    }

    private static void deleteAfterCommit(Path root) {
        try {
            deleteRecursively(root);
        } catch (UncheckedIOException e) {
            LOG.warn(
                    "committed the output, but could not delete the staging directory {} ({});"
                            + " delete it by hand",
                    root,
                    reason(e.getCause()));
        }
    }

    private static void remove(Leftover leftover, boolean resuming) {
        if (leftover.committedSplits() > 0 && !resuming) {
            LOG.warn(
                    "removing {}, left by {} that ended with {} splits committed; to continue"
                            + " such a job instead, run it with {}",
                    leftover.directory(),
                    leftover.owner(),
                    leftover.committedSplits(),
                    SettingNames.RESUME);
        } else {
            LOG.info("removing {}, left by {} that ended", leftover.directory(), leftover.owner());
        }
        deleteRecursively(leftover.directory());
    }

    private static List<SplitRecord> readRecords(Path root) {
        Path dir = root.resolve(SPLITS);
        List<SplitRecord> records = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return records;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path file : files) {
                try {
                    SplitRecord record = GSON.fromJson(Files.readString(file), SplitRecord.class);
                    if (record != null && record.split() != null && record.files() != null) {
                        records.add(record);
                    }
                } catch (IOException | JsonParseException e) {
                    LOG.warn("ignoring unreadable split record {}: {}", file, e.toString());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        return records;
    }

    private static Path recordPath(Path root, int index) {
        return root.resolve(SPLITS).resolve(index + ".json");
    }

    /** Writes {@code text} to a temporary file and renames it over {@code file}. */
    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String prefix(Path output) {
        return "." + output.getFileName() + TMP;
    }

    private static java.time.Instant modified(Path dir) {
        try {
            return Files.getLastModifiedTime(dir).toInstant();
        } catch (IOException e) {
            return java.time.Instant.EPOCH;
        }
    }

    /**
     * The system's reason for a failed file operation, e.g. "Permission denied" (Java reports that
     * one with the path alone).
     */
    static String reason(Throwable e) {
        if (e instanceof AccessDeniedException denied) {
            return "Permission denied (" + denied.getFile() + ")";
        }
        if (e instanceof NoSuchFileException missing) {
            return "No such file or directory (" + missing.getFile() + ")";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason() + " (" + fs.getFile() + ")";
        }
        return String.valueOf(e);
    }

    static boolean isEmptyDirectory(Path dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    static void deleteRecursively(Path path) {
        try {
            FileTrees.deleteTree(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path + ": " + reason(e), e);
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            deleteRecursively(path);
        } catch (UncheckedIOException e) {
            LOG.warn("could not delete {}: {}", path, e.getMessage());
        }
    }
}
