package io.rayzerocopy.internal.exec;

import io.rayzerocopy.internal.FileTrees;
import io.rayzerocopy.internal.model.LeaseNames;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Scratch directories of a job's engine (Spark's local directories, its executors' temp files),
 * {@code <tmp>/rzc-scratch-<pid>-<start>-<random>}: the name records the process that made one, so
 * those of a job killed outright are recognized and removed by the next one, or by {@code rzc store
 * gc}. Also collects the native libraries lz4-java unpacks into the temp directory, which a killed
 * JVM leaves behind.
 */
public final class JobScratch {
    static final String PREFIX = "rzc-scratch-";
    private static final String LZ4 = "liblz4-java-";

    /** A library younger than this may be unpacked but not mapped yet by a starting JVM. */
    private static final Duration UNPACKING = Duration.ofMinutes(1);

    private static final Logger LOG = LoggerFactory.getLogger(JobScratch.class);

    private JobScratch() {}

    /** A new scratch directory held by this process (mode 700), after sweeping dead ones. */
    public static Path create() {
        Path base = base();
        sweep(base);
        try {
            return Files.createDirectory(
                    base.resolve(PREFIX + LeaseNames.newName()),
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create a scratch directory in "
                            + base
                            + ": make java.io.tmpdir a writable directory",
                    e);
        }
    }

    /** Deletes a scratch directory of this process and what it holds, quietly. */
    public static void delete(Path dir) {
        try {
            FileTrees.deleteTree(dir);
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot delete {}: {}", dir, e.toString());
        }
    }

    /**
     * Removes the scratch directories of this user's dead processes, and the lz4 libraries in the
     * temp directory that this user's JVMs unpacked and no process maps any more; returns them.
     */
    public static List<Path> sweep() {
        return sweep(base());
    }

    static List<Path> sweep(Path base) {
        List<Path> removed = new ArrayList<>();
        try (DirectoryStream<Path> entries =
                Files.newDirectoryStream(base, "{" + PREFIX + "," + LZ4 + "}*")) {
            Object uid = Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
            Set<String> mapped = null;
            for (Path entry : entries) {
                if (!uid.equals(Files.getAttribute(entry, "unix:uid", LinkOption.NOFOLLOW_LINKS))) {
                    continue;
                }
                String name = entry.getFileName().toString();
                if (name.startsWith(PREFIX)) {
                    if (!LeaseNames.isAlive(name.substring(PREFIX.length()))
                            && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                        delete(entry);
                        removed.add(entry);
                    }
                    continue;
                }
                if (mapped == null) {
                    mapped = mappedLz4Libraries();
                }
                if (isUnusedLz4(entry, mapped)) {
                    Files.deleteIfExists(entry);
                    removed.add(entry);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot sweep {}: {}", base, e.toString());
        }
        removed.forEach(p -> LOG.debug("removed {}, left by a dead process", p));
        return removed;
    }

    /** A library (or its lock file) that no live process maps, unpacked a while ago. */
    private static boolean isUnusedLz4(Path file, Set<String> mapped) throws IOException {
        String name = file.toString();
        String library = name.endsWith(".lck") ? name.substring(0, name.length() - 4) : name;
        FileTime modified = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS);
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                && !mapped.contains(library)
                && modified.toInstant().isBefore(Instant.now().minus(UNPACKING));
    }

    /** The lz4 libraries the processes this user may inspect have mapped. */
    private static Set<String> mappedLz4Libraries() {
        Set<String> mapped = new HashSet<>();
        try (Stream<Path> processes = Files.list(Paths.get("/proc"))) {
            processes
                    .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .forEach(p -> addMappedLz4(p.resolve("maps"), mapped));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return mapped;
    }

    private static void addMappedLz4(Path maps, Set<String> into) {
        try (Stream<String> lines = Files.lines(maps)) {
            lines.filter(line -> line.contains(LZ4))
                    .map(line -> line.substring(line.indexOf('/')).replace(" (deleted)", ""))
                    .forEach(path -> into.add(path.strip()));
        } catch (IOException | UncheckedIOException e) {
            // Another user's process, or one that just exited: nothing of ours to find there.
        }
    }

    private static Path base() {
        return Paths.get(System.getProperty("java.io.tmpdir"));
    }
}
