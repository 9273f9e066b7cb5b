package io.rayzerocopy;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

/**
 * Makes a file or directory impossible to change or delete for the duration of a test: {@code
 * chattr +i} as root (whom permissions do not stop), read-only permissions otherwise. The test is
 * skipped where neither works.
 */
public final class Unwritable implements AutoCloseable {
    private final boolean root;
    private Path path;

    private Unwritable(Path path, boolean root) {
        this.path = path;
        this.root = root;
    }

    public static Unwritable of(Path path) throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            Assumptions.assumeTrue(
                    run("chattr", "+i", path.toString()) == 0, "chattr +i is not possible here");
        } else {
            Files.setPosixFilePermissions(
                    path,
                    PosixFilePermissions.fromString(
                            Files.isDirectory(path) ? "r-xr-xr-x" : "r--r--r--"));
        }
        return new Unwritable(path, root);
    }

    /** Follows the path after the code under test moved it (or a parent of it). */
    public void movedTo(Path moved) {
        path = moved;
    }

    @Override
    public void close() throws Exception {
        if (root) {
            run("chattr", "-i", path.toString());
        } else {
            Files.setPosixFilePermissions(
                    path,
                    PosixFilePermissions.fromString(
                            Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--"));
        }
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
