package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import java.lang.management.ManagementFactory;

/**
 * The one Arrow root allocator of this process, with a limit, and named children for jobs,
 * operators and actors. Each child is closed by its owner, which checks it for leaks; the root
 * lives as long as the process. The limit is {@code -Drzc.arrow.limit.bytes}, by default the
 * machine's physical memory, so a runaway allocation fails with an Arrow error naming the allocator
 * instead of bringing in the kernel's OOM killer.
 *
 * <p>Large blocks are reused rather than given back to the OS after each batch ({@link
 * RecyclingAllocations}): up to {@code -Drzc.arrow.reuse.bytes} (default 256 MB, 0 turns it off)
 * are kept between batches, and all of it is freed whenever the last child allocator (the last job)
 * closes.
 */
public final class Allocators {
    private static final RecyclingAllocations BLOCKS =
            new RecyclingAllocations(Long.getLong("rzc.arrow.reuse.bytes", 256L << 20));

    private static final RootAllocator ROOT =
            new RootAllocator(
                    RootAllocator.configBuilder()
                            .maxAllocation(limit())
                            .allocationManagerFactory(BLOCKS)
                            .listener(
                                    new AllocationListener() {
                                        @Override
                                        public void onChildRemoved(
                                                BufferAllocator parent, BufferAllocator child) {
                                            if (parent.getChildAllocators().isEmpty()) {
                                                BLOCKS.drain();
                                            }
                                        }
                                    })
                            .build());

    private Allocators() {}

    /** A new child of the root allocator, named for leak reports ({@code "job-1"}). */
    public static BufferAllocator child(String name) {
        return ROOT.newChildAllocator(name, 0, ROOT.getLimit());
    }

    private static long limit() {
        Long configured = Long.getLong("rzc.arrow.limit.bytes");
        if (configured != null && configured > 0) {
            return configured;
        }
        if (ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return Long.MAX_VALUE;
    }
}
