package io.rayzerocopy.internal.data;


import io.rayzerocopy.ParquetReadOptions;
import io.rayzerocopy.internal.storage.RemoteFiles;
import io.rayzerocopy.internal.storage.Storage;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Predicate;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Parquet files as a {@link BatchSource}: files, directories (read recursively, skipping names that
 * start with {@code .} or {@code _}, and files that are not Parquet such as a {@code README.txt})
 * and globs ({@code data/*.parquet}, {@code data/**}); a path naming an existing file or directory
 * is taken literally even if it holds glob characters.
 *
 * <p>Reading streams row group by row group (never a whole file in memory) and decodes columns with
 * parquet-mr's column readers directly into Arrow vectors. Only the selected columns are read.
 * Supported types: int32, int64, float, double, boolean, string, binary, nullable or not, and
 * 3-level {@code LIST}s of those; a list column that {@link ParquetSink} wrote from a fixed-size
 * list is read back as one. All files must have the same (selected) schema.
 *
 * <p>A Hive-partitioned input ({@code in/date=2026-12-01/x.parquet}) adds its partition columns
 * ({@link Partitions}) after the files' columns, and {@link ParquetReadOptions}' filters prune its
 * partition directories while listing, before any file is opened.
 *
 * <p>Batches hold {@code batchSize} rows except the last batch of each file, which may be shorter:
 * a batch never spans two files, so its {@link RowRange} names one file. Files without rows give
 * no batch (an input without any rows gives one empty batch, of its first file). Each file is a
 * split: a job can be resumed file by file.
 */
public final class ParquetSource implements BatchSource {
    private static final Logger LOG = LoggerFactory.getLogger(ParquetSource.class);
    private final List<String> paths;
    private final List<String> columns;
    private final Set<String> skipped;
    private final ParquetReadOptions read;
    private final PartitionExpression where;

    /**
     * Whether what the listing skipped and pruned was logged: once for a source and the copies
     * made from it (columns selected, splits skipped), not for every reader.
     */
    private final AtomicBoolean listingLogged;

    private ParquetSource(
            List<String> paths,
            List<String> columns,
            Set<String> skipped,
            ParquetReadOptions read,
            PartitionExpression where,
            AtomicBoolean listingLogged) {
        this.paths = paths;
        this.columns = columns;
        this.skipped = skipped;
        this.read = read;
        this.where = where;
        this.listingLogged = listingLogged;
    }

    /** The Parquet data at {@code paths}: files, directories or globs. Nothing is read yet. */
    public static ParquetSource of(List<String> paths) {
        return of(paths, ParquetReadOptions.defaults());
    }

    /**
     * The Parquet data at {@code paths}, its partitions typed and filtered as {@code read} says.
     * Nothing is read yet.
     *
     * @throws IllegalArgumentException if a path is blank or the filter expression is malformed
     */
    public static ParquetSource of(List<String> paths, ParquetReadOptions read) {
        Objects.requireNonNull(read, "read");
        Objects.requireNonNull(paths, "paths");
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("give at least one Parquet file, directory or glob");
        }
        List<String> locations = new ArrayList<>();
        for (String path : paths) {
            if (path == null || path.isBlank()) {
                throw new IllegalArgumentException(
                        "Parquet path must not be null or blank: " + paths);
            }
            // file: URIs become local paths; other URIs are read through their Hadoop file system.
            locations.add(Storage.isLocal(path) ? Locations.localPath(path, "Parquet path") : path);
        }
        PartitionExpression where =
                read.where() == null ? null : PartitionExpression.parse(read.where());
        return new ParquetSource(
                List.copyOf(locations), null, Set.of(), read, where, new AtomicBoolean());
    }

    /** The partition columns of the input ({@link Partitions#NONE} if it is not partitioned). */
    public Partitions partitions() {
        return listing().partitions();
    }

    /** The selected columns, or an empty list when all columns are read. */
    public List<String> columns() {
        return columns == null ? List.of() : columns;
    }

    @Override
    public ParquetSource select(List<String> selected) {
        Objects.requireNonNull(selected, "columns");
        if (selected.isEmpty() || Set.copyOf(selected).size() != selected.size()) {
            throw new IllegalArgumentException(
                    "select at least one column, each once; got " + selected);
        }
        return new ParquetSource(
                paths, List.copyOf(selected), skipped, read, where, listingLogged);
    }

    /**
     * The files this source reads, in a stable order: those the paths resolve to now, less the
     * skipped ones.
     *
     * @throws IllegalArgumentException if a path does not exist or nothing matches
     */
    public List<String> files() {
        return allFiles().stream().filter(f -> !skipped.contains(f)).toList();
    }

    /**
     * The files the paths resolve to now, skipped or not: local ones by absolute path, remote ones
     * ({@code hdfs://}, {@code s3a://}, ...) by qualified URI.
     */
    private List<String> allFiles() {
        return listing().files();
    }

    /**
     * The files the paths resolve to now, and those met in directories and globs that are not
     * Parquet ({@link ParquetNames}).
     */
    private Listing listing() {
        Map<Path, String> found = new LinkedHashMap<>();
        Set<Path> named = new HashSet<>();
        List<Partitions.Located> remote = new ArrayList<>();
        for (String path : paths) {
            if (!Storage.isLocal(path)) {
                String root = remoteRoot(path);
                for (String file : RemoteFiles.resolve(path)) {
                    remote.add(new Partitions.Located(file, root));
                }
            } else if (isPattern(path)) {
                String root = Paths.get(globBase(path)).toAbsolutePath().normalize().toString();
                glob(path).forEach(file -> found.putIfAbsent(file, root));
            } else {
                Path p = Storage.localPath(path).toAbsolutePath().normalize();
                if (Files.isDirectory(p)) {
                    walk(p, p, file -> true).forEach(file -> found.putIfAbsent(file, p.toString()));
                } else if (Files.isRegularFile(p)) {
                    found.putIfAbsent(p, String.valueOf(p.getParent()));
                    named.add(p);
                } else {
                    throw new IllegalArgumentException("Parquet path does not exist: " + path);
                }
            }
        }
        List<Partitions.Located> files = new ArrayList<>();
        List<String> notParquet = new ArrayList<>();
        found.forEach(
                (file, root) -> {
                    if (named.contains(file) || ParquetNames.isData(file)) {
                        files.add(new Partitions.Located(file.toString(), root));
                    } else {
                        notParquet.add(file.toString());
                    }
                });
        files.addAll(remote);
        if (files.isEmpty()) {
            throw new IllegalArgumentException(
                    "no Parquet files found in "
                            + Storage.mask(paths.toString())
                            + " (names starting with '.' or '_' are skipped"
                            + (notParquet.isEmpty()
                                    ? ""
                                    : ", and so are files that are not Parquet: " + notParquet)
                            + ")");
        }
        Partitions partitions = Partitions.discover(files, read.partitionTypes());
        return new Listing(prune(files, partitions), List.copyOf(notParquet), partitions);
    }

    /**
     * The files whose partitions the filters keep, before any is opened.
     *
     * @throws IllegalArgumentException if a filter names no partition column or a literal of
     *     another type, or keeps no partition
     */
    private List<String> prune(List<Partitions.Located> files, Partitions partitions) {
        if (where == null && read.partitionFilter() == null) {
            return files.stream().map(Partitions.Located::file).toList();
        }
        PartitionExpression bound = where == null ? null : where.bind(partitions);
        List<String> kept = new ArrayList<>();
        Map<String, Boolean> byDirectory = new HashMap<>();
        for (Partitions.Located located : files) {
            String file = located.file();
            String dir = file.substring(0, Math.max(0, file.lastIndexOf('/')));
            if (byDirectory.computeIfAbsent(dir, d -> keep(bound, partitions.values(file)))) {
                kept.add(file);
            }
        }
        LOG.debug(
                "partition filter{}: reading {} of {} partition directories ({} of {} files)",
                where == null ? "" : " " + where,
                byDirectory.values().stream().filter(b -> b).count(),
                byDirectory.size(),
                kept.size(),
                files.size());
        if (kept.isEmpty()) {
            throw new IllegalArgumentException(
                    SettingNames.WHERE
                            + ": the partition filter"
                            + (where == null ? "" : " " + where)
                            + " keeps none of the "
                            + byDirectory.size()
                            + " partitions of "
                            + Storage.mask(paths.toString())
                            + "; check its values");
        }
        return List.copyOf(kept);
    }

    private boolean keep(PartitionExpression bound, Map<String, Object> values) {
        Map<String, Object> view = Collections.unmodifiableMap(values);
        return (bound == null || bound.keep(view))
                && (read.partitionFilter() == null || read.partitionFilter().keep(view));
    }

    /** The directory a remote path's files are listed under, qualified as its files are. */
    private static String remoteRoot(String path) {
        String base = isGlob(path) ? globBase(path) : path;
        return Storage.fileSystem(base).makeQualified(Storage.hadoopPath(base)).toString();
    }

    /**
     * What the paths resolve to: the files read (partitions pruned), those skipped as not
     * Parquet, and the partition columns.
     */
    private record Listing(List<String> files, List<String> notParquet, Partitions partitions) {}

    @Override
    public Schema schema() {
        Listing listing = listing();
        String first = listing.files().get(0);
        try (ParquetFileBatches file =
                new ParquetFileBatches(first, columns, listing.partitions())) {
            return file.schema();
        }
    }

    /**
     * The rows of the files read, from their footers.
     *
     * @throws IllegalArgumentException if a file is not Parquet, lacks a selected column, or holds
     *     a column with another type than the first file; the message names both files and types
     */
    @Override
    public OptionalLong rowCount() {
        return OptionalLong.of(footers().values().stream().mapToLong(Long::longValue).sum());
    }

    /** One batch per {@code batchSize} rows of each file, and one for an input without rows. */
    @Override
    public OptionalLong batchCount(int batchSize) {
        long batches = 0;
        for (long rows : footers().values()) {
            batches += (rows + batchSize - 1) / batchSize;
        }
        return OptionalLong.of(Math.max(1, batches));
    }

    /** Each file, by absolute path, with its size and modification time. */
    @Override
    public Map<String, String> splits() {
        Map<String, String> splits = new LinkedHashMap<>();
        for (String file : allFiles()) {
            splits.put(file, Storage.fingerprint(file));
        }
        return splits;
    }

    @Override
    public ParquetSource skipSplits(Set<String> names) {
        Set<String> all = new LinkedHashSet<>(skipped);
        all.addAll(names);
        return new ParquetSource(paths, columns, Set.copyOf(all), read, where, listingLogged);
    }

    /**
     * The row count of every file read, from its footer, after checking that each file has the
     * selected columns (all columns of the first file when none are selected) with the types the
     * first file has.
     */
    private Map<String, Long> footers() {
        Listing listing = listing();
        Partitions partitions = listing.partitions();
        String first = listing.files().get(0);
        Schema expected;
        try (ParquetFileBatches batches = new ParquetFileBatches(first, columns, partitions)) {
            expected = batches.schema();
        }
        Map<String, Long> rows = new LinkedHashMap<>();
        Map<String, Map.Entry<String, Long>> widths = new LinkedHashMap<>();
        for (String file : listing.files()) {
            if (skipped.contains(file)) {
                continue;
            }
            try (ParquetFileBatches batches = new ParquetFileBatches(file, columns, partitions)) {
                checkListWidths(file, batches.listWidths(), widths);
                Schema schema = batches.schema();
                if (!names(schema).equals(names(expected))) {
                    throw new IllegalArgumentException(
                            "file "
                                    + Storage.mask(file)
                                    + " has columns "
                                    + names(schema)
                                    + " but "
                                    + Storage.mask(first)
                                    + " has "
                                    + names(expected)
                                    + "; select the columns they share, or read them in separate"
                                    + " jobs");
                }
                for (Field field : expected.getFields()) {
                    Field other = schema.findField(field.getName());
                    if (!other.equals(field)) {
                        throw new IllegalArgumentException(
                                "column '"
                                        + field.getName()
                                        + "' is "
                                        + ColumnLayout.describe(field)
                                        + " in "
                                        + Storage.mask(first)
                                        + " but "
                                        + ColumnLayout.describe(other)
                                        + " in "
                                        + Storage.mask(file)
                                        + "; give files of one schema (or select columns they"
                                        + " share), or read them in separate jobs");
                    }
                }
                rows.put(file, batches.rowCount());
            }
        }
        return rows;
    }

    /**
     * Refuses a list column whose width in {@code file} differs from its width in an earlier file;
     * {@code seen} holds the first file that settled each column's width.
     */
    private static void checkListWidths(
            String file, Map<String, Long> fileWidths, Map<String, Map.Entry<String, Long>> seen) {
        for (Map.Entry<String, Long> width : fileWidths.entrySet()) {
            Map.Entry<String, Long> first =
                    seen.computeIfAbsent(width.getKey(), c -> Map.entry(file, width.getValue()));
            if (!first.getValue().equals(width.getValue())) {
                throw new IllegalArgumentException(
                        "column '"
                                + width.getKey()
                                + "' has "
                                + first.getValue()
                                + " values per row in "
                                + Storage.mask(first.getKey())
                                + " but "
                                + width.getValue()
                                + " in "
                                + Storage.mask(file)
                                + ": a model takes one width; give files of one width, or read"
                                + " them in separate jobs");
            }
        }
    }

    private static List<String> names(Schema schema) {
        return schema.getFields().stream().map(Field::getName).toList();
    }

    @Override
    public BatchReader open(BufferAllocator allocator, int batchSize) {
        Objects.requireNonNull(allocator, "allocator");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        Listing listing = listing();
        if (!listingLogged.getAndSet(true)) {
            logListing(listing);
        }
        List<Supplier<ParquetFileBatches>> parts = new ArrayList<>();
        for (String file : listing.files()) {
            if (skipped.contains(file)) {
                continue;
            }
            parts.add(() -> new ParquetFileBatches(file, columns, listing.partitions()));
        }
        return new ParquetFilesReader(parts, allocator, batchSize, true);
    }

    private void logListing(Listing listing) {
        if (!listing.notParquet().isEmpty()) {
            LOG.info(
                    "skipped {} file(s) that are not Parquet (neither named .parquet nor starting"
                            + " with its magic bytes), e.g. {}",
                    listing.notParquet().size(),
                    listing.notParquet().get(0));
        }
        if (where != null || read.partitionFilter() != null) {
            LOG.info(
                    "partition filter{}: reading {} files of partitions {}",
                    where == null ? "" : " " + where,
                    listing.files().size(),
                    listing.partitions());
        }
    }

    @Override
    public void checkOutput(String output) {
        List<OutputGuard.Read> local = new ArrayList<>();
        for (String path : paths) {
            boolean pattern = Storage.isLocal(path) ? isPattern(path) : isGlob(path);
            String base = pattern ? globBase(path) : path;
            if (Storage.isLocal(base) && Storage.isLocal(output)) {
                local.add(new OutputGuard.Read("the input", Storage.localPath(base)));
            } else {
                checkOverlap(output, path, base);
            }
        }
        if (!local.isEmpty()) {
            OutputGuard.checkReads(output, Storage.localPath(output), local);
        }
    }

    /** As {@link OutputGuard#checkReads}, for an output or input on a Hadoop file system. */
    private static void checkOverlap(String output, String path, String base) {
        if (!fileSystemName(output).equals(fileSystemName(base))) {
            return;
        }
        String out = qualified(output);
        String root = qualified(base);
        String relation =
                out.equals(root)
                        ? "is"
                        : (root + "/").startsWith(out + "/")
                                ? "contains"
                                : (out + "/").startsWith(root + "/") ? "lies inside" : null;
        if (relation != null) {
            throw new IllegalArgumentException(
                    "output directory "
                            + Storage.mask(output)
                            + " "
                            + relation
                            + " the input "
                            + Storage.mask(path)
                            + ": replacing it would delete what the job reads, and a rerun would"
                            + " read its own output; write to a directory outside every input");
        }
    }

    /** The scheme and authority of a location ({@code hdfs://nn:8020}), {@code file:} if local. */
    private static String fileSystemName(String location) {
        if (Storage.isLocal(location)) {
            return "file:";
        }
        java.net.URI uri = Storage.hadoopPath(location).toUri();
        return uri.getScheme() + "://" + uri.getAuthority();
    }

    /** A location as a comparable string: a remote one qualified by its file system. */
    private static String qualified(String location) {
        if (Storage.isLocal(location)) {
            return "file:" + OutputGuard.resolved(Storage.localPath(location));
        }
        String uri =
                Storage.fileSystem(location).makeQualified(Storage.hadoopPath(location)).toString();
        return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
    }

    @Override
    public String toString() {
        return "ParquetSource"
                + paths
                + (columns == null ? "" : " columns " + columns)
                + (where == null ? "" : " where " + where)
                + (skipped.isEmpty() ? "" : " skipping " + skipped.size() + " files");
    }

    /**
     * Whether {@code path} is read as a glob: it has glob characters and names no existing file or
     * directory ({@code x[1].parquet} and {@code star*.parquet} are file names first).
     */
    private static boolean isPattern(String path) {
        return isGlob(path) && !Files.exists(Paths.get(path));
    }

    private static boolean isGlob(String path) {
        return path.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    /** The directory part of a glob before its first wildcard ({@code data} for {@code data/*}). */
    private static String globBase(String pattern) {
        List<String> baseParts = new ArrayList<>();
        for (String part : pattern.split("/", -1)) {
            if (isGlob(part)) {
                break;
            }
            baseParts.add(part);
        }
        String base = String.join("/", baseParts);
        return base.isEmpty() ? (pattern.startsWith("/") ? "/" : ".") : base;
    }

    private static List<Path> glob(String pattern) {
        Path absolute = Paths.get("").toAbsolutePath();
        Path base = absolute.resolve(globBase(pattern)).normalize();
        String full = pattern.startsWith("/") ? pattern : absolute + "/" + pattern;
        PathMatcher matcher =
                FileSystems.getDefault().getPathMatcher("glob:" + Paths.get(full).normalize());
        if (!Files.isDirectory(base)) {
            return List.of();
        }
        return walk(
                base,
                base,
                file -> {
                    for (Path p = file; p != null && p.startsWith(base); p = p.getParent()) {
                        if (matcher.matches(p)) {
                            return true;
                        }
                    }
                    return false;
                });
    }

    private static List<Path> walk(Path root, Path base, Predicate<Path> keep) {
        try (Stream<Path> stream = Files.walk(root)) {
            return stream.filter(Files::isRegularFile)
                    .filter(p -> !isHidden(base.relativize(p)))
                    .filter(keep)
                    .sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
    }

    private static boolean isHidden(Path relative) {
        for (Path part : relative) {
            String name = part.toString();
            if (name.startsWith(".") || name.startsWith("_")) {
                return true;
            }
        }
        return false;
    }
}
