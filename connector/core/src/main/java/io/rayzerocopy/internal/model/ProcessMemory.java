package io.rayzerocopy.internal.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * A process's memory from /proc/PID/smaps_rollup: PSS divides shared pages (such as a weight store
 * mapped by several actors) among the processes that map them.
 */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** PSS of process {@code pid} in kB. */
    public static long pssKb(long pid) throws IOException {
        return field(pid, "Pss:");
    }

    /** PSS of process {@code pid}'s anonymous memory (heaps, native allocations) in kB. */
    public static long anonPssKb(long pid) throws IOException {
        return field(pid, "Pss_Anon:");
    }

    /** Private (clean + dirty) memory of process {@code pid} in kB. */
    public static long privateKb(long pid) throws IOException {
        return field(pid, "Private_Clean:") + field(pid, "Private_Dirty:");
    }

    /** This process's PSS in kB, or -1 where /proc is not available. */
    public static long selfPssKb() {
        try {
            return pssKb(ProcessHandle.current().pid());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long field(long pid, String name) throws IOException {
        for (String line : Files.readAllLines(Paths.get("/proc/" + pid + "/smaps_rollup"))) {
            if (line.startsWith(name)) {
                return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("no " + name + " in /proc/" + pid + "/smaps_rollup");
    }
}
