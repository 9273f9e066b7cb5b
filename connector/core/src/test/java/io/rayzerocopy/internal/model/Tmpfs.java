package io.rayzerocopy.internal.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A small tmpfs mounted for a test: a real directory that runs out of space. Needs root. */
final class Tmpfs implements AutoCloseable {
    private final Path dir;

    private Tmpfs(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code size} (e.g. "1m") on {@code dir}; skips the test if it cannot. */
    static Tmpfs mount(Path dir, String size) throws Exception {
        assumeTrue(
                StoreChecks.uid() == 0,
                "mounting a small tmpfs to fill needs root; this test is skipped as uid "
                        + StoreChecks.uid());
        int rc = run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "tmpfs", dir);
        assumeTrue(rc == 0, "mount -t tmpfs failed (exit " + rc + "); this test is skipped");
        return new Tmpfs(dir);
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() throws Exception {
        int rc = run("umount", dir.toString());
        if (rc != 0) {
            throw new IllegalStateException("umount " + dir + " failed with exit " + rc);
        }
    }

    private static int run(Object... command) throws IOException, InterruptedException {
        String[] cmd = new String[command.length];
        for (int i = 0; i < command.length; i++) {
            cmd[i] = command[i].toString();
        }
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
