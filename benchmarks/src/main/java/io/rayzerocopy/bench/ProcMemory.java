package io.rayzerocopy.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A process's memory as Linux counts it (/proc/PID/smaps_rollup and smaps): PSS divides each shared
 * page (a weight store mapped by several actors, a library's code) among the processes mapping it,
 * so the PSS of a group of processes adds up to the memory they take together.
 */
final class ProcMemory {
    private ProcMemory() {}

    /** PSS of process {@code pid} in kB. */
    static long pssKb(long pid) throws IOException {
        return rollup(pid, "Pss:");
    }

    /** Private (clean + dirty) memory of process {@code pid} in kB. */
    static long privateKb(long pid) throws IOException {
        return rollup(pid, "Private_Clean:") + rollup(pid, "Private_Dirty:");
    }

    /** PSS in kB of the mappings of {@code pid} whose file path contains {@code pathPart}. */
    static long mappedPssKb(long pid, String pathPart) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/" + pid + "/smaps"));
        long kb = 0;
        boolean inside = false;
        for (String line : lines) {
            if (isMappingHeader(line)) {
                inside = line.contains(pathPart);
            } else if (inside && line.startsWith("Pss:")) {
                kb += kb(line, "Pss:");
            }
        }
        return kb;
    }

    private static boolean isMappingHeader(String line) {
        int dash = line.indexOf('-');
        int space = line.indexOf(' ');
        return dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+");
    }

    private static long rollup(long pid, String name) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            if (line.startsWith(name)) {
                return kb(line, name);
            }
        }
        throw new IOException("no " + name + " in /proc/" + pid + "/smaps_rollup");
    }

    private static long kb(String line, String name) {
        return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
    }
}
