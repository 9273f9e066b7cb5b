package io.rayzerocopy.internal.model;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Names that record the process holding them, {@code <pid>-<process start millis>-<random>}, so a
 * holder that died (even by kill -9) can be told from a live one, also after its pid was reused:
 * lease files, the temporary directory a store is written in before it is committed ({@code
 * .tmp-<store id>-<holder>}), and the staging directory a job writes its output in.
 */
public final class LeaseNames {
    private static final String TEMP_PREFIX = ".tmp-";

    private LeaseNames() {}

    /** A new name held by this process. */
    public static String newName() {
        ProcessHandle me = ProcessHandle.current();
        return me.pid() + "-" + startMillis(me).orElse(0L) + "-" + UUID.randomUUID();
    }

    /** The name of a temporary directory in which this process writes store {@code id}. */
    static String newTempName(String id) {
        return TEMP_PREFIX + id + "-" + newName();
    }

    /** Whether {@code fileName} is a temporary store directory's name. */
    static boolean isTempName(String fileName) {
        return fileName.startsWith(TEMP_PREFIX);
    }

    /**
     * The holder part of a temporary directory's name (after {@code .tmp-rzc-<hash>-}), or the
     * empty string if the name records none.
     */
    static String tempHolder(String tempName) {
        int idStart = TEMP_PREFIX.length();
        int idEnd = tempName.indexOf('-', tempName.indexOf('-', idStart) + 1);
        return idEnd < 0 ? "" : tempName.substring(idEnd + 1);
    }

    /** The pid recorded in a holder name, or -1. */
    public static long pid(String holderName) {
        try {
            return Long.parseLong(holderName.split("-", 2)[0]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Whether the process that took this name is still running (same pid and same start time). A
     * name that records no process counts as dead.
     */
    public static boolean isAlive(String holderName) {
        String[] parts = holderName.split("-", 3);
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
