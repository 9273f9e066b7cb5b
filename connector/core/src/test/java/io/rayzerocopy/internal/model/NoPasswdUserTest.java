package io.rayzerocopy.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rayzerocopy.Fixtures;
import io.rayzerocopy.internal.FileTrees;
import io.rayzerocopy.internal.exec.JvmLauncher;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A job run as a uid without a passwd entry ({@code docker run -u 4242}, OpenShift, Kubernetes
 * {@code runAsUser}): a real child JVM started with {@code setpriv} scores a fixture through its
 * own store, in the default store directory and in one named by {@code RZC_STORE_DIR}. Needs root
 * to switch uid.
 */
class NoPasswdUserTest {
    private int uid;
    private Path shared;
    private Path defaultRoot;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(
                StoreChecks.uid() == 0,
                "starting a child as a uid without a passwd entry needs root (setpriv); skipped as"
                        + " uid "
                        + StoreChecks.uid());
        assumeTrue(Files.isExecutable(Paths.get("/usr/bin/setpriv")), "setpriv is not installed");
        uid = unknownUid();
        defaultRoot = Paths.get("/dev/shm/ray-zerocopy-" + uid);
        assumeTrue(Files.isDirectory(Paths.get("/dev/shm")), "no /dev/shm on this machine");
        // The child cannot read root's Maven repository or DJL cache: it gets hard links to them
        // in a directory it may read (links, so nothing is copied).
        shared = Files.createTempDirectory("rzc-nopasswd");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (shared != null) {
            FileTrees.deleteTree(shared);
        }
        if (defaultRoot != null) {
            WeightStore.discard(defaultRoot);
        }
    }

    /** A uid from 4242 up that /etc/passwd does not name. */
    private static int unknownUid() throws IOException {
        Set<String> known = new HashSet<>();
        for (String line : Files.readAllLines(Paths.get("/etc/passwd"))) {
            String[] f = line.split(":");
            if (f.length > 2) {
                known.add(f[2]);
            }
        }
        int uid = 4242;
        while (known.contains(Integer.toString(uid))) {
            uid++;
        }
        return uid;
    }

    @Test
    void aUidWithoutAPasswdEntryScoresThroughTheDefaultStoreDirectory() throws Exception {
        List<String> out = runAsUnknownUid(null, linkDjlCache(shared.resolve("djl")), null);
        assertEquals(defaultRoot, Paths.get(out.get(0)).getParent(), "the store was " + out.get(0));
        assertScores(out.get(1));
        assertEquals(uid, (int) (Integer) Files.getAttribute(defaultRoot, "unix:uid"));
        assertFalse(Files.exists(Paths.get(out.get(0))), "the job removed its store at exit");
    }

    @Test
    void aUidWithoutAPasswdEntryScoresThroughRzcStoreDir() throws Exception {
        Path stores = Files.createDirectory(shared.resolve("stores"));
        Files.setAttribute(stores, "unix:uid", uid);
        List<String> out = runAsUnknownUid(stores, linkDjlCache(shared.resolve("djl")), null);
        assertEquals(stores, Paths.get(out.get(0)).getParent(), "the store was " + out.get(0));
        assertScores(out.get(1));
    }

    @Test
    void aUidWithoutAPasswdEntryInAReadOnlyDirectoryCachesLibtorchUnderTheTempDirectory()
            throws Exception {
        Path cwd = Files.createDirectory(shared.resolve("read-only"));
        Files.setPosixFilePermissions(cwd, PosixFilePermissions.fromString("r-xr-xr-x"));
        // HOME=/ is not the uid's to write, as under docker run -u: caches go to a directory of
        // its own under the temp directory, where the libtorch the child finds was put for it.
        Path cache = Paths.get(System.getProperty("java.io.tmpdir"), "ray-zerocopy-cache-" + uid);
        try {
            Files.createDirectory(cache, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            Files.setAttribute(cache, "unix:uid", uid);
            linkDjlCache(cache.resolve("djl"));

            List<String> out = runAsUnknownUid(null, null, cwd);

            assertScores(out.get(1));
            try (Stream<Path> left = Files.list(cwd)) {
                assertEquals(List.of(), left.toList(), "nothing in the working directory");
            }
            try (Stream<Path> made = Files.list(cache.resolve("djl"))) {
                assertTrue(made.findAny().isPresent());
            }
        } finally {
            FileTrees.deleteTree(cache);
        }
    }

    private static void assertScores(String line) {
        String[] parts = line.substring(1, line.length() - 1).split(", ");
        float[][] expected = Fixtures.ref("simple_classifier", "output");
        assertEquals(expected.length * expected[0].length, parts.length);
        for (int i = 0; i < parts.length; i++) {
            float e = expected[i / expected[0].length][i % expected[0].length];
            assertTrue(
                    Math.abs(Float.parseFloat(parts[i]) - e) <= 1e-6,
                    "output " + i + ": " + parts[i] + " vs " + e);
        }
    }

    /** Runs {@code StoreChild score simple_classifier} as the unknown uid; its stdout lines. */
    private List<String> runAsUnknownUid(Path storeDir, Path djlCache, Path cwd) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("/usr/bin/setpriv");
        cmd.add("--reuid=" + uid);
        cmd.add("--regid=" + uid);
        cmd.add("--clear-groups");
        cmd.add("--");
        cmd.add(JvmLauncher.javaExecutable().toString());
        cmd.addAll(JvmLauncher.OPENS);
        cmd.add("-Xmx512m");
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-Dai.djl.pytorch.num_threads=1");
        if (djlCache != null) {
            cmd.add("-DDJL_CACHE_DIR=" + djlCache);
        }
        cmd.add("-cp");
        cmd.add(linkClasspath());
        cmd.add(StoreChild.class.getName());
        cmd.add("score");
        cmd.add("simple_classifier");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.remove("RZC_STORE_DIR");
        env.remove("XDG_RUNTIME_DIR");
        env.put("HOME", "/");
        env.remove("XDG_CACHE_HOME");
        env.remove("DJL_CACHE_DIR");
        if (djlCache != null) {
            env.put("DJL_CACHE_DIR", djlCache.toString());
        }
        if (cwd != null) {
            pb.directory(cwd.toFile());
        }
        if (storeDir != null) {
            env.put("RZC_STORE_DIR", storeDir.toString());
        }
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process child = pb.start();
        String stdout = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the child did not finish");
        assertEquals(0, child.exitValue(), "the job as uid " + uid + " failed; stdout: " + stdout);
        List<String> lines = stdout.lines().toList();
        assertEquals(2, lines.size(), stdout);
        return lines;
    }

    /** This JVM's classpath with every jar replaced by a hard link the child can read. */
    private String linkClasspath() throws IOException {
        String cp =
                System.getProperty(
                        "surefire.test.class.path", System.getProperty("java.class.path"));
        Path jars = Files.createDirectory(shared.resolve("jars"));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : cp.split(File.pathSeparator)) {
            Path p = Paths.get(entry);
            if (Files.isRegularFile(p)) {
                Path link = jars.resolve((i++) + "-" + p.getFileName());
                Files.createLink(link, p);
                entries.add(link.toString());
            } else {
                entries.add(entry);
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    /** The DJL cache (libtorch) as hard links at {@code copy}, in directories the child owns. */
    private Path linkDjlCache(Path copy) throws IOException {
        Path cache = Paths.get(System.getProperty("DJL_CACHE_DIR"));
        try (Stream<Path> s = Files.walk(cache)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path target = copy.resolve(cache.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                    Files.setAttribute(target, "unix:uid", uid);
                } else {
                    Files.createLink(target, p);
                }
            }
        }
        return copy;
    }
}
