package io.rayzerocopy.internal.data;


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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Predicate;
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

    private ParquetSource(List<String> paths, List<String> columns, Set<String> skipped) {
        this.paths = paths;
        this.columns = columns;
        this.skipped = skipped;
    }

    /** The Parquet data at {@code paths}: files, directories or globs. Nothing is read yet. */
    public static ParquetSource of(List<String> paths) {
        Objects.requireNonNull(paths, "paths");
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("give at least one Parquet file, directory or glob");
        }
        List<String> local = new ArrayList<>();
        for (String path : paths) {
            if (path == null || path.isBlank()) {
                throw new IllegalArgumentException(
                        "Parquet path must not be null or blank: " + paths);
            }
            local.add(Locations.localPath(path, "Parquet path"));
        }
        return new ParquetSource(List.copyOf(local), null, Set.of());
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
        return new ParquetSource(paths, List.copyOf(selected), skipped);
    }

    /**
     * The files this source reads, in a stable order: those the paths resolve to now, less the
     * skipped ones.
     *
     * @throws IllegalArgumentException if a path does not exist or nothing matches
     */
    public List<Path> files() {
        return allFiles().stream().filter(f -> !skipped.contains(f.toString())).toList();
    }

    /** The files the paths resolve to now, skipped or not. */
    private List<Path> allFiles() {
        return listing().files();
    }

    /**
     * The files the paths resolve to now, and those met in directories and globs that are not
     * Parquet ({@link ParquetNames}).
     */
    private Listing listing() {
        Set<Path> found = new LinkedHashSet<>();
        Set<Path> named = new HashSet<>();
        for (String path : paths) {
            if (isPattern(path)) {
                found.addAll(glob(path));
            } else {
                Path p = Paths.get(path).toAbsolutePath().normalize();
                if (Files.isDirectory(p)) {
                    found.addAll(walk(p, p, file -> true));
                } else if (Files.isRegularFile(p)) {
                    found.add(p);
                    named.add(p);
                } else {
                    throw new IllegalArgumentException("Parquet path does not exist: " + path);
                }
            }
        }
        List<Path> files = new ArrayList<>();
        List<Path> notParquet = new ArrayList<>();
        for (Path file : found) {
            (named.contains(file) || ParquetNames.isData(file) ? files : notParquet).add(file);
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(
                    "no Parquet files found in "
                            + paths
                            + " (names starting with '.' or '_' are skipped"
                            + (notParquet.isEmpty()
                                    ? ""
                                    : ", and so are files that are not Parquet: " + notParquet)
                            + ")");
        }
        return new Listing(List.copyOf(files), List.copyOf(notParquet));
    }

    /** What the paths resolve to: the files read and those skipped as not Parquet. */
    private record Listing(List<Path> files, List<Path> notParquet) {}

    @Override
    public Schema schema() {
        Path first = allFiles().get(0);
        try (ParquetFileBatches file = new ParquetFileBatches(first, columns)) {
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
        for (Path file : allFiles()) {
            try {
                splits.put(
                        file.toString(),
                        "size="
                                + Files.size(file)
                                + " modified="
                                + Files.getLastModifiedTime(file).toInstant());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the attributes of " + file, e);
            }
        }
        return splits;
    }

    @Override
    public ParquetSource skipSplits(Set<String> names) {
        Set<String> all = new LinkedHashSet<>(skipped);
        all.addAll(names);
        return new ParquetSource(paths, columns, Set.copyOf(all));
    }

    /**
     * The row count of every file read, from its footer, after checking that each file has the
     * selected columns (all columns of the first file when none are selected) with the types the
     * first file has.
     */
    private Map<Path, Long> footers() {
        List<Path> all = allFiles();
        Path first = all.get(0);
        Schema expected;
        try (ParquetFileBatches batches = new ParquetFileBatches(first, columns)) {
            expected = batches.schema();
        }
        Map<Path, Long> rows = new LinkedHashMap<>();
        Map<String, Map.Entry<Path, Long>> widths = new LinkedHashMap<>();
        for (Path file : files()) {
            try (ParquetFileBatches batches = new ParquetFileBatches(file, columns)) {
                checkListWidths(file, batches.listWidths(), widths);
                Schema schema = batches.schema();
                if (!names(schema).equals(names(expected))) {
                    throw new IllegalArgumentException(
                            "file "
                                    + file
                                    + " has columns "
                                    + names(schema)
                                    + " but "
                                    + first
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
                                        + first
                                        + " but "
                                        + ColumnLayout.describe(other)
                                        + " in "
                                        + file
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
            Path file, Map<String, Long> fileWidths, Map<String, Map.Entry<Path, Long>> seen) {
        for (Map.Entry<String, Long> width : fileWidths.entrySet()) {
            Map.Entry<Path, Long> first =
                    seen.computeIfAbsent(width.getKey(), c -> Map.entry(file, width.getValue()));
            if (!first.getValue().equals(width.getValue())) {
                throw new IllegalArgumentException(
                        "column '"
                                + width.getKey()
                                + "' has "
                                + first.getValue()
                                + " values per row in "
                                + first.getKey()
                                + " but "
                                + width.getValue()
                                + " in "
                                + file
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
        if (!listing.notParquet().isEmpty()) {
            LOG.info(
                    "skipped {} file(s) that are not Parquet (neither named .parquet nor starting"
                            + " with its magic bytes), e.g. {}",
                    listing.notParquet().size(),
                    listing.notParquet().get(0));
        }
        List<Supplier<ParquetFileBatches>> parts = new ArrayList<>();
        for (Path file : listing.files()) {
            if (skipped.contains(file.toString())) {
                continue;
            }
            parts.add(() -> new ParquetFileBatches(file, columns));
        }
        return new ParquetFilesReader(parts, allocator, batchSize, true);
    }

    @Override
    public void checkOutput(Path output) {
        List<OutputGuard.Read> inputs = new ArrayList<>();
        for (String path : paths) {
            inputs.add(
                    new OutputGuard.Read(
                            "the input", Paths.get(isPattern(path) ? globBase(path) : path)));
        }
        OutputGuard.checkReads(output.toString(), output, inputs);
    }

    @Override
    public String toString() {
        return "ParquetSource"
                + paths
                + (columns == null ? "" : " columns " + columns)
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
