package io.rayzerocopy.internal.data;

import io.rayzerocopy.internal.storage.Storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Refuses, before any work, an output directory whose replacement would destroy what the user did
 * not hand the job to replace: the filesystem root, the home or working directory (or one holding
 * them), and anything the job reads — Parquet input, model, weights.
 */
public final class OutputGuard {
    /** Something a job reads, and how messages name it ({@code "the model"}). */
    public record Read(String what, Path path) {}

    private OutputGuard() {}

    /**
     * The local output directory {@code output} names, checked against the machine's own
     * directories and against {@code reads}.
     *
     * @throws IllegalArgumentException naming the output, what it would destroy and the fix
     */
    public static Path check(String output, List<Read> reads) {
        Path out = Paths.get(Locations.localPath(output, "output directory"));
        checkNotShared(output, out);
        checkReads(output, out, reads);
        return out;
    }

    /**
     * The output directory {@code output} names, as a location for the storage layer: a local
     * path checked as {@link #check} does, or the URI of a Hadoop file system (only its root is
     * refused there: the machine's own directories and the local reads cannot be on it).
     *
     * @throws IllegalArgumentException naming the output, what it would destroy and the fix
     */
    public static String checkLocation(String output, List<Read> reads) {
        if (output == null || output.isBlank() || Storage.isLocal(output)) {
            return check(output, reads).toString();
        }
        if (Storage.hadoopPath(output).isRoot()) {
            throw refused(Storage.mask(output), "is the filesystem root");
        }
        return Storage.normalize(output);
    }

    /** Refuses {@code out} if it is, contains or lies inside one of {@code reads}. */
    static void checkReads(String output, Path out, List<Read> reads) {
        Path resolvedOut = resolved(out);
        for (Read read : reads) {
            for (Path spelling : spellings(read.path())) {
                String relation =
                        resolvedOut.equals(spelling)
                                ? "is"
                                : spelling.startsWith(resolvedOut)
                                        ? "contains"
                                        : resolvedOut.startsWith(spelling) ? "lies inside" : null;
                if (relation != null) {
                    throw new IllegalArgumentException(
                            "output directory "
                                    + output
                                    + " "
                                    + relation
                                    + " "
                                    + read.what()
                                    + " "
                                    + read.path()
                                    + (spelling.equals(read.path()) ? "" : " (" + spelling + ")")
                                    + ": replacing it would delete what the job reads, and a rerun"
                                    + " would read its own output; write to a directory outside"
                                    + " every input, model and weights file");
                }
            }
        }
    }

    private static void checkNotShared(String output, Path out) {
        Path resolvedOut = resolved(out);
        String name = output.equals(resolvedOut.toString()) ? output : output + " (" + resolvedOut + ")";
        if (resolvedOut.getParent() == null) {
            throw refused(name, "is the filesystem root");
        }
        Path cwd = resolved(Paths.get(""));
        if (cwd.startsWith(resolvedOut)) {
            throw refused(
                    name,
                    cwd.equals(resolvedOut)
                            ? "is the working directory"
                            : "holds the working directory " + cwd);
        }
        for (String home : homes()) {
            Path h = resolved(Paths.get(home));
            if (h.startsWith(resolvedOut)) {
                throw refused(
                        name,
                        h.equals(resolvedOut)
                                ? "is the home directory"
                                : "holds the home directory " + h);
            }
        }
    }

    private static IllegalArgumentException refused(String name, String what) {
        return new IllegalArgumentException(
                "output directory "
                        + name
                        + " "
                        + what
                        + ": the output is replaced as a whole, so it must be a directory of its"
                        + " own; name a new one, e.g. "
                        + (name.startsWith("/") || name.isEmpty() ? "/tmp/scores" : "scores/"));
    }

    private static List<String> homes() {
        List<String> homes = new ArrayList<>();
        String property = System.getProperty("user.home");
        if (property != null && property.startsWith("/")) {
            homes.add(property);
        }
        String env = System.getenv("HOME");
        if (env != null && env.startsWith("/")) {
            homes.add(env);
        }
        return homes;
    }

    /**
     * The ways {@code path} may be reached: with its directory's links resolved (a link inside the
     * output is the user's too) and with every link resolved (what it points to).
     */
    private static List<Path> spellings(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        Path link = parent == null ? absolute : resolved(parent).resolve(absolute.getFileName());
        Path target = resolved(absolute);
        return link.equals(target) ? List.of(link) : List.of(link, target);
    }

    /**
     * {@code path} made absolute with symbolic links resolved as far as it exists, so that two
     * spellings of one directory compare equal.
     */
    static Path resolved(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return absolute;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(absolute));
        } catch (IOException e) {
            return absolute;
        }
    }
}
