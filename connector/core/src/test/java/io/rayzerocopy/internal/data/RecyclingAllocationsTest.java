package io.rayzerocopy.internal.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.junit.jupiter.api.Test;

/** Large Arrow blocks are reused (their pages stay faulted in), bounded, and accounted exactly. */
class RecyclingAllocationsTest {
    private static RootAllocator root(RecyclingAllocations blocks) {
        return new RootAllocator(
                RootAllocator.configBuilder()
                        .allocationManagerFactory(blocks)
                        .maxAllocation(1L << 30)
                        .build());
    }

    @Test
    void aFreedLargeBlockServesTheNextBatchOfItsSizeClass() {
        RecyclingAllocations blocks = new RecyclingAllocations(64L << 20);
        try (BufferAllocator allocator = root(blocks)) {
            long first;
            try (Float4Vector batch = new Float4Vector("x", allocator)) {
                batch.allocateNew(131_072 * 8);
                batch.set(5, 1.5f);
                first = batch.getDataBufferAddress();
                assertTrue(allocator.getAllocatedMemory() >= 131_072L * 8 * 4);
            }
            assertEquals(0, allocator.getAllocatedMemory(), "accounted as asked, released exactly");
            assertTrue(blocks.idleBytes() >= 4L << 20, "kept for reuse: " + blocks.idleBytes());
            try (Float4Vector next = new Float4Vector("x", allocator)) {
                next.allocateNew(131_072 * 8 - 1000);
                assertEquals(first, next.getDataBufferAddress(), "the same, already mapped, block");
                assertTrue(next.isNull(5), "handed out zeroed by Arrow, like a new one");
                assertEquals(0f, next.getDataBuffer().getFloat(5 * 4));
            }
        }
        blocks.drain();
        assertEquals(0, blocks.idleBytes());
    }

    @Test
    void smallBlocksGoToMallocAndIdleBlocksAreCapped() {
        RecyclingAllocations blocks = new RecyclingAllocations(10L << 20);
        try (BufferAllocator allocator = root(blocks)) {
            allocator.buffer(64 << 10).close();
            assertEquals(0, blocks.idleBytes(), "below the threshold: plain malloc");
            ArrowBuf a = allocator.buffer(8 << 20);
            ArrowBuf b = allocator.buffer(8 << 20);
            assertNotEquals(a.memoryAddress(), b.memoryAddress());
            a.close();
            b.close();
            assertEquals(8L << 20, blocks.idleBytes(), "the second block did not fit the cap");
        }
        blocks.drain();
    }

    @Test
    void sizeClassesAreAtMostAnEighthLarger() {
        for (long size : new long[] {1 << 20, (1 << 20) + 1, 3_000_000, 67_108_864, 520_000_000}) {
            long block = RecyclingAllocations.sizeClass(size);
            assertTrue(block >= size && block <= size + size / 8 + 4096, size + " -> " + block);
        }
        assertEquals(
                RecyclingAllocations.sizeClass(67_108_000),
                RecyclingAllocations.sizeClass(67_108_864),
                "batches of about the same size share a class");
    }
}
