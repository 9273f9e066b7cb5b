package io.rayzerocopy.cli;

import io.rayzerocopy.admin.StoreMemory;
import io.rayzerocopy.admin.WeightStores;

/**
 * Samples how the weight store is held in memory while a job runs, keeping the sample with the most
 * processes mapping it: the evidence behind "weight copies in memory" in the summary.
 */
final class JobMonitor implements AutoCloseable {
    private final Thread thread;
    private volatile boolean running = true;
    private final WeightStores stores = WeightStores.local();
    private final String storeId;
    private volatile StoreMemory best;

    JobMonitor(String storeId) {
        this.storeId = storeId;
        thread =
                new Thread(
                        () -> {
                            while (running) {
                                sample();
                                try {
                                    Thread.sleep(250);
                                } catch (InterruptedException e) {
                                    return;
                                }
                            }
                        },
                        "rzc-store-monitor");
        thread.setDaemon(true);
        thread.start();
    }

    /** Measures the store once and keeps the sample if it is the best so far. */
    private synchronized void sample() {
        StoreMemory m = stores.memory(storeId);
        StoreMemory b = best;
        if (b == null
                || m.processes() > b.processes()
                || (m.processes() == b.processes() && m.mappedPssBytes() > b.mappedPssBytes())) {
            best = m;
        }
    }

    /** The sample with the most processes mapping the store, or null if none was taken. */
    StoreMemory peak() {
        return best;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(2000);
        // One sample as the job ends: a job shorter than the sampling period (a fast cluster job)
        // would otherwise be seen only before its actors mapped the store.
        sample();
    }
}
