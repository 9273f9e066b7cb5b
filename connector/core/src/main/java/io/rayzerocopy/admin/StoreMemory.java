package io.rayzerocopy.admin;

/**
 * How much physical memory a weight store takes, summed over the processes that hold a lease on it,
 * from {@code /proc/PID/smaps}: with zero-copy, one copy of the touched weights however many actors
 * map them ({@link #copies()}). Beside it, the whole PSS of those processes and its anonymous part,
 * where a copy of the weights made anywhere else would show. Immutable: one sample ({@link
 * WeightStores#memory(String)}).
 */
public final class StoreMemory {
    private final io.rayzerocopy.internal.model.StoreMemory sample;

    StoreMemory(io.rayzerocopy.internal.model.StoreMemory sample) {
        this.sample = sample;
    }

    /** Processes that map the store. */
    public int processes() {
        return sample.processes();
    }

    /** Summed PSS of the mappings (physical memory, shared pages divided among the mappers). */
    public long mappedPssBytes() {
        return sample.mappedPssBytes();
    }

    /** Summed RSS of the mappings (each process's view; shared pages counted once per process). */
    public long mappedRssBytes() {
        return sample.mappedRssBytes();
    }

    /** Processes holding a lease on the store (the driver too), measured whole. */
    public int holders() {
        return sample.holders();
    }

    /** Summed whole-process PSS of the holders. */
    public long processPssBytes() {
        return sample.processPssBytes();
    }

    /** The anonymous part of {@link #processPssBytes()} (heaps, native allocations). */
    public long anonPssBytes() {
        return sample.anonPssBytes();
    }

    /** Physical copies of the store in memory: summed PSS over the store's size. */
    public double copies() {
        return sample.copies();
    }

    /** E.g. {@code 1.00 copies (4 process(es) map the 420.0 MB store: PSS ..., RSS ...); ...}. */
    @Override
    public String toString() {
        return sample.toString();
    }
}
