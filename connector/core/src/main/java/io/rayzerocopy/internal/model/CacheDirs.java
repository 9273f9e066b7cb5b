package io.rayzerocopy.internal.model;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Where this user's caches live: libtorch unpacked by DJL, the fork server's binary, the workers'
 * class-data archive. The first usable of {@code user.home}, {@code $HOME} (each with {@code
 * .cache/ray-zerocopy}), {@code $XDG_CACHE_HOME/ray-zerocopy}, and {@code
 * <java.io.tmpdir>/ray-zerocopy-cache-<uid>}. A uid without a passwd entry ({@code docker run -u},
 * OpenShift) gets {@code user.home} = {@code ?}, a relative path: caches there would land in the
 * working directory (432 MB of libtorch) or fail in a read-only one. Relative and unwritable
 * directories are passed over, so the working directory is never used.
 */
public final class CacheDirs {
    private static final Logger LOG = LoggerFactory.getLogger(CacheDirs.class);
    private static final Set<PosixFilePermission> OWNER_ONLY =
            PosixFilePermissions.fromString("rwx------");
    private static volatile Path base;

    private CacheDirs() {}

    /** The cache directory {@code name} of this process (not created). */
    public static Path of(String name) {
        Path chosen = base;
        if (chosen == null) {
            chosen =
                    choose(
                            System.getProperty("user.home"),
                            System.getenv("HOME"),
                            System.getenv("XDG_CACHE_HOME"),
                            Paths.get(System.getProperty("java.io.tmpdir")),
                            StoreChecks.uid());
            base = chosen;
        }
        return chosen.resolve(name);
    }

    /** The base directory the settings and environment given choose. */
    static Path choose(String userHome, String home, String xdgCacheHome, Path tmpDir, int uid) {
        List<Path> candidates = new ArrayList<>();
        for (String dir : new String[] {userHome, home}) {
            if (absolute(dir)) {
                candidates.add(Paths.get(dir, ".cache", "ray-zerocopy"));
            }
        }
        if (absolute(xdgCacheHome)) {
            candidates.add(Paths.get(xdgCacheHome, "ray-zerocopy"));
        }
        for (Path candidate : candidates) {
            if (writable(candidate)) {
                return candidate.normalize();
            }
        }
        Path shared = tmpDir.toAbsolutePath().resolve("ray-zerocopy-cache-" + uid);
        if (ownPrivateDirectory(shared, uid)) {
            LOG.info(
                    "no writable home or cache directory (user.home={}, HOME={},"
                            + " XDG_CACHE_HOME={}): caching in {}",
                    userHome,
                    home,
                    xdgCacheHome,
                    shared);
            return shared;
        }
        try {
            Path own = Files.createTempDirectory(tmpDir, "ray-zerocopy-cache-" + uid + "-");
            LOG.warn(
                    "{} is not a private directory of uid {}: caching in {} for this process only;"
                            + " set HOME or XDG_CACHE_HOME to a writable directory",
                    shared,
                    uid,
                    own);
            return own;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a cache directory in " + tmpDir, e);
        }
    }

    private static boolean absolute(String dir) {
        return dir != null && !dir.isBlank() && Paths.get(dir).isAbsolute();
    }

    /** Whether {@code dir} exists and is writable, or its nearest existing ancestor is. */
    private static boolean writable(Path dir) {
        Path existing = dir;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing != null && Files.isDirectory(existing) && Files.isWritable(existing);
    }

    /**
     * Whether {@code dir} is, or was just made, a directory (not a link) that {@code uid} owns and
     * only it may write: a shared temp directory lets anyone create the name first, and a cache
     * there holds native code this process loads.
     */
    private static boolean ownPrivateDirectory(Path dir, int uid) {
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            }
            return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                    && (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)
                            == uid
                    && Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)
                            .equals(OWNER_ONLY);
        } catch (IOException e) {
            return false;
        }
    }
}
