package io.rayzerocopy.internal.model;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;

/**
 * Exclusive locks on files shared by processes, taken by polling {@code tryLock} instead of a
 * blocking {@code lock()}. A POSIX lock belongs to the whole process, so Linux's deadlock check
 * sees a cycle where there is none when one thread of a process holds lock A while another waits
 * for lock B, and a second process holding B waits for A: the blocking call then fails with
 * "Resource deadlock avoided" (seen with two Spark executors materializing and opening one store).
 * A polling caller never waits inside the kernel, so it is never refused.
 */
public final class FileLocks {
    private static final long MAX_PAUSE_MILLIS = 20;

    private FileLocks() {}

    /** Waits until this process holds the exclusive lock of {@code channel}'s whole file. */
    public static FileLock lock(FileChannel channel) throws IOException {
        long pause = 1;
        while (true) {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return lock;
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for a file lock");
            }
            pause = Math.min(MAX_PAUSE_MILLIS, pause * 2);
        }
    }
}
