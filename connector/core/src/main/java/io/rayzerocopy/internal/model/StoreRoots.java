package io.rayzerocopy.internal.model;

import io.rayzerocopy.StoreException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which directory holds this process's weight stores. {@code -Drzc.store.dir}, else {@code
 * RZC_STORE_DIR}, when set: that directory or an error. Otherwise {@code
 * /dev/shm/ray-zerocopy-<uid>} (tmpfs), named by the numeric uid, which every process has (a user
 * name is missing for a uid without a passwd entry). Any local user can create that name first; a
 * directory there that is not this user's own is skipped with a warning for a private one: {@code
 * $XDG_RUNTIME_DIR/ray-zerocopy} (a per-user tmpfs that only its user can write), else {@code
 * <java.io.tmpdir>/ray-zerocopy-<uid>}. Every process of the user makes the same choice, so they
 * still share one store per model.
 */
final class StoreRoots {
    private static final Logger LOG = LoggerFactory.getLogger(StoreRoots.class);
    private static final Set<Path> WARNED = ConcurrentHashMap.newKeySet();

    private final String configured;
    private final Path shm;
    private final String xdgRuntimeDir;
    private final Path tmpDir;
    private final int uid;

    StoreRoots(String configured, Path shm, String xdgRuntimeDir, Path tmpDir, int uid) {
        this.configured = configured == null || configured.isBlank() ? null : configured;
        this.shm = shm;
        this.xdgRuntimeDir =
                xdgRuntimeDir == null || xdgRuntimeDir.isBlank() ? null : xdgRuntimeDir;
        this.tmpDir = tmpDir;
        this.uid = uid;
    }

    /** The choice as this process's settings and environment make it. */
    static StoreRoots ofThisProcess() {
        return new StoreRoots(
                System.getProperty("rzc.store.dir", System.getenv("RZC_STORE_DIR")),
                Paths.get("/dev/shm"),
                System.getenv("XDG_RUNTIME_DIR"),
                Paths.get(System.getProperty("java.io.tmpdir")),
                StoreChecks.uid());
    }

    /** The directories to try, best first. */
    List<Path> candidates() {
        if (configured != null) {
            return List.of(Paths.get(configured).toAbsolutePath().normalize());
        }
        List<Path> out = new ArrayList<>();
        String name = "ray-zerocopy-" + uid;
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            out.add(shm.resolve(name));
        }
        if (xdgRuntimeDir != null && Files.isDirectory(Paths.get(xdgRuntimeDir))) {
            out.add(Paths.get(xdgRuntimeDir).resolve("ray-zerocopy"));
        }
        out.add(tmpDir.resolve(name));
        return out;
    }

    /**
     * The directory {@link #open} would use, found without creating anything: the first candidate
     * that does not exist yet or is this user's own.
     */
    Path preferred() {
        List<Path> candidates = candidates();
        for (Path c : candidates) {
            if (!Files.exists(c, LinkOption.NOFOLLOW_LINKS)) {
                return c;
            }
            try {
                StoreChecks.checkStoreDirectory(c);
                return c;
            } catch (StoreException notOurs) {
                // the next candidate
            }
        }
        return candidates.get(0);
    }

    /**
     * The store directory: the first candidate that is, or can be created as, this user's own.
     *
     * @throws StoreException if the configured directory, or every candidate, is unusable; the
     *     message names each and the fix
     */
    WeightStore open() {
        List<Path> candidates = candidates();
        List<String> problems = new ArrayList<>();
        for (Path c : candidates) {
            try {
                WeightStore store = WeightStore.at(c);
                if (!problems.isEmpty() && WARNED.add(c)) {
                    LOG.warn(
                            "weight store directory {} cannot be used ({}); using {} instead."
                                    + " Remove it, or set RZC_STORE_DIR to choose the directory",
                            candidates.get(0),
                            problems.get(0),
                            c);
                }
                return store;
            } catch (RuntimeException e) {
                if (configured != null) {
                    throw e;
                }
                problems.add(e.getMessage());
            }
        }
        throw new StoreException(
                "no usable weight store directory: "
                        + String.join("; ", problems)
                        + ". Set RZC_STORE_DIR (or -Drzc.store.dir) to a directory of your own");
    }
}
