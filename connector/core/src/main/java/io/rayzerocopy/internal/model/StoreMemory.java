package io.rayzerocopy.internal.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * How much physical memory a weight store's mappings take, summed over the processes that hold a
 * lease on it: the PSS of every mapping of a store file, from /proc/PID/smaps. With zero-copy this
 * is one copy of the touched weights however many actors map them; {@link #copies()} says how many.
 * Beside it, the whole PSS of those processes and its anonymous part: a copy of the weights
 * anywhere else in them (a heap, a native buffer) shows there, not in the store's figure.
 */
public final class StoreMemory {
    private final int processes;
    private final long mappedPssBytes;
    private final long mappedRssBytes;
    private final long storeBytes;
    private final int holders;
    private final long processPssBytes;
    private final long anonPssBytes;

    private StoreMemory(
            int processes,
            long mappedPssBytes,
            long mappedRssBytes,
            long storeBytes,
            int holders,
            long processPssBytes,
            long anonPssBytes) {
        this.processes = processes;
        this.mappedPssBytes = mappedPssBytes;
        this.mappedRssBytes = mappedRssBytes;
        this.storeBytes = storeBytes;
        this.holders = holders;
        this.processPssBytes = processPssBytes;
        this.anonPssBytes = anonPssBytes;
    }

    /** Measures the store's mappings in every live process holding a lease on it here. */
    public static StoreMemory measure(StoreRef ref) {
        return measure(ref, WeightStore.local());
    }

    /**
     * Measures the mappings of {@code ref}'s store under {@code local} in every live process
     * holding a lease on it there.
     */
    public static StoreMemory measure(StoreRef ref, WeightStore local) {
        // The processes are read one after the other: one that maps the store (or faults its
        // pages in) between two reads makes the first read's PSS stale, and the sum exceed what
        // is in memory. A measure is kept once two passes in a row see the same mappings.
        StoreMemory last = measureOnce(ref, local);
        for (int pass = 0; pass < 4; pass++) {
            StoreMemory next = measureOnce(ref, local);
            if (next.processes == last.processes && next.mappedRssBytes == last.mappedRssBytes) {
                return next;
            }
            last = next;
        }
        return last;
    }

    private static StoreMemory measureOnce(StoreRef ref, WeightStore local) {
        long store = ref.shardSizes().stream().mapToLong(Long::longValue).sum();
        String dir = local.directory(ref).toString();
        int processes = 0;
        long pss = 0;
        long rss = 0;
        int holders = 0;
        long whole = 0;
        long anon = 0;
        try {
            for (long pid : local.holders(ref)) {
                long[] m = mapped(pid, dir);
                if (m[0] > 0) {
                    processes++;
                    pss += m[0];
                    rss += m[1];
                }
                try {
                    long pidPss = ProcessMemory.pssKb(pid) << 10;
                    long pidAnon = ProcessMemory.anonPssKb(pid) << 10;
                    holders++;
                    whole += pidPss;
                    anon += pidAnon;
                } catch (IOException | RuntimeException gone) {
                    // the process ended while it was measured
                }
            }
        } catch (IOException e) {
            // the store went away while it was measured: what was summed so far
        }
        return new StoreMemory(processes, pss, rss, store, holders, whole, anon);
    }

    /** {PSS, RSS} in bytes of the mappings of files under {@code dir} in process {@code pid}. */
    static long[] mapped(long pid, String dir) {
        long pss = 0;
        long rss = 0;
        boolean inside = false;
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/" + pid + "/smaps"))) {
                if (isMappingHeader(line)) {
                    String[] f = line.trim().split("\\s+", 6);
                    inside = f.length == 6 && f[5].startsWith(dir);
                } else if (inside && line.startsWith("Pss:")) {
                    pss += kb(line) * 1024;
                } else if (inside && line.startsWith("Rss:")) {
                    rss += kb(line) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
        return new long[] {pss, rss};
    }

    /**
     * "start-end perms offset dev inode path": a '-' inside the first word; field lines have none.
     */
    private static boolean isMappingHeader(String line) {
        int space = line.indexOf(' ');
        int dash = line.indexOf('-');
        return space > 0 && dash > 0 && dash < space;
    }

    private static long kb(String line) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).trim().split("\\s+")[0]);
    }

    /** Processes that map the store. */
    public int processes() {
        return processes;
    }

    /** Summed PSS of the mappings (physical memory, shared pages divided among the mappers). */
    public long mappedPssBytes() {
        return mappedPssBytes;
    }

    /**
     * Summed RSS of the mappings (what each process sees; counts shared pages once per process).
     */
    public long mappedRssBytes() {
        return mappedRssBytes;
    }

    /** Processes holding a lease on the store (the driver too), measured whole. */
    public int holders() {
        return holders;
    }

    /** Summed whole-process PSS of the holders: the store's share, anonymous memory, the rest. */
    public long processPssBytes() {
        return processPssBytes;
    }

    /** The anonymous part of {@link #processPssBytes()} (heaps, native allocations). */
    public long anonPssBytes() {
        return anonPssBytes;
    }

    /** Physical copies of the store in memory: summed PSS over the store's size. */
    public double copies() {
        return storeBytes == 0 ? 0 : (double) mappedPssBytes / storeBytes;
    }

    @Override
    public String toString() {
        return String.format(
                "%.2f copies (%d process(es) map the %.1f MB store: PSS %.1f MB, RSS %.1f MB);"
                        + " whole PSS of the job's %d process(es) %.1f MB, of which anonymous"
                        + " %.1f MB",
                copies(),
                processes,
                storeBytes / 1048576.0,
                mappedPssBytes / 1048576.0,
                mappedRssBytes / 1048576.0,
                holders,
                processPssBytes / 1048576.0,
                anonPssBytes / 1048576.0);
    }
}
