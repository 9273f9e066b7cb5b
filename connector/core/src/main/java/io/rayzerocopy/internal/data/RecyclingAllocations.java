package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ReferenceManager;
import org.apache.arrow.memory.util.MemoryUtil;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Arrow's memory, with large blocks reused instead of returned to the OS. A batch's buffers are
 * megabytes (131,072 rows of 128 floats: 64 MB); glibc serves blocks that large with a fresh {@code
 * mmap} each time and unmaps them on free, so every page of every batch was faulted in anew — about
 * one fault per 4 KB, which on these VMs made decoding at large batches several times slower than
 * at small ones. Blocks of at least {@link #MIN_RECYCLED} bytes are rounded up to a size class (at
 * most 1/8 larger) and, when freed, kept for the next request of that class, up to {@code
 * maxIdleBytes} kept at once; {@link #drain()} frees them all (when no job is running). Smaller
 * blocks go to malloc as before.
 */
final class RecyclingAllocations implements AllocationManager.Factory {
    /** Blocks below this size are malloc's business (it reuses them well). */
    static final long MIN_RECYCLED = 1L << 20;

    /** The zero-length buffer Arrow hands out for empty allocations. */
    private static final ArrowBuf EMPTY =
            new ArrowBuf(ReferenceManager.NO_OP, null, 0, MemoryUtil.allocateMemory(0));

    private final long maxIdleBytes;
    private final Map<Long, ArrayDeque<Long>> idle = new HashMap<>();
    private long idleBytes;

    RecyclingAllocations(long maxIdleBytes) {
        this.maxIdleBytes = maxIdleBytes;
    }

    @Override
    public AllocationManager create(BufferAllocator accountingAllocator, long size) {
        if (size < MIN_RECYCLED || maxIdleBytes <= 0) {
            return new Allocation(accountingAllocator, size, 0, MemoryUtil.allocateMemory(size));
        }
        long block = sizeClass(size);
        Long address = take(block);
        return new Allocation(
                accountingAllocator,
                size,
                block,
                address == null ? MemoryUtil.allocateMemory(block) : address);
    }

    @Override
    public ArrowBuf empty() {
        return EMPTY;
    }

    /** The block size serving {@code size}: rounded up to an eighth of its power of two. */
    static long sizeClass(long size) {
        long step = Math.max(4096, Long.highestOneBit(size) >>> 3);
        return (size + step - 1) / step * step;
    }

    /** Bytes held for reuse right now. */
    synchronized long idleBytes() {
        return idleBytes;
    }

    /** Frees every block kept for reuse. */
    synchronized void drain() {
        for (ArrayDeque<Long> blocks : idle.values()) {
            for (Long address : blocks) {
                MemoryUtil.freeMemory(address);
            }
        }
        idle.clear();
        idleBytes = 0;
    }

    private synchronized Long take(long block) {
        ArrayDeque<Long> blocks = idle.get(block);
        Long address = blocks == null ? null : blocks.pollFirst();
        if (address != null) {
            idleBytes -= block;
        }
        return address;
    }

    private synchronized void give(long block, long address) {
        if (idleBytes + block > maxIdleBytes) {
            MemoryUtil.freeMemory(address);
            return;
        }
        idle.computeIfAbsent(block, b -> new ArrayDeque<>()).addFirst(address);
        idleBytes += block;
    }

    /**
     * Arrow's view of one allocation: its size as Arrow accounts it is what was asked for; {@code
     * block} is its size class, or 0 for a small block, which is freed when released.
     */
    private final class Allocation extends AllocationManager {
        private final long size;
        private final long block;
        private final long address;

        Allocation(BufferAllocator accountingAllocator, long size, long block, long address) {
            super(accountingAllocator);
            this.size = size;
            this.block = block;
            this.address = address;
        }

        @Override
        public long getSize() {
            return size;
        }

        @Override
        protected long memoryAddress() {
            return address;
        }

        @Override
        protected void release0() {
            if (block == 0) {
                MemoryUtil.freeMemory(address);
            } else {
                give(block, address);
            }
        }
    }
}
