package io.rayzerocopy.internal.model;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Names of lease files: {@code <pid>-<process start millis>-<random>}, so dead holders can be told
 * apart. Also names the staging directories of jobs, whose owners must be told apart the same way.
 */
public final class LeaseNames {
    private LeaseNames() {}

    /** A new name owned by this process. */
    public static String newName() {
        ProcessHandle me = ProcessHandle.current();
        return me.pid() + "-" + startMillis(me).orElse(0L) + "-" + UUID.randomUUID();
    }

    /** Whether the process that took this lease is still running (same pid and same start time). */
    public static boolean isAlive(String leaseName) {
        String[] parts = leaseName.split("-", 3);
        if (parts.length < 3) {
            return false;
        }
        try {
            long pid = Long.parseLong(parts[0]);
            long start = Long.parseLong(parts[1]);
            Optional<ProcessHandle> handle = ProcessHandle.of(pid);
            if (handle.isEmpty() || !handle.get().isAlive()) {
                return false;
            }
            Optional<Long> actual = startMillis(handle.get());
            return actual.isEmpty() || start == 0 || Math.abs(actual.get() - start) < 2000;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static Optional<Long> startMillis(ProcessHandle handle) {
        return handle.info().startInstant().map(Instant::toEpochMilli);
    }
}
