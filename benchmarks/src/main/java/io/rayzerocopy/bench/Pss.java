package io.rayzerocopy.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;

/** Proportional set size from /proc: shared pages are divided among the processes mapping them. */
public final class Pss {
    private Pss() {}

    /** PSS of a process in kB ({@code Pss:} of /proc/PID/smaps_rollup). */
    public static long kb(long pid) throws IOException {
        return field(pid, "Pss:");
    }

    /** Private (clean + dirty) memory of a process in kB. */
    public static long privateKb(long pid) throws IOException {
        return field(pid, "Private_Clean:") + field(pid, "Private_Dirty:");
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
