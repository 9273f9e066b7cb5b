package io.rayzerocopy.spi;

import io.rayzerocopy.internal.data.Allocators;
import io.rayzerocopy.internal.data.ArrowIpc;
import io.rayzerocopy.internal.data.Roots;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.io.IOException;

/**
 * Arrow memory and the batch format between processes, for engines: every allocator is a child of
 * the process's one root (limited, leak-checked when closed), and a batch crosses processes as one
 * Arrow IPC stream.
 */
@Stable
public final class ArrowBatches {
    private ArrowBatches() {}

    /**
     * A new child of the process's root allocator, named for leak reports ({@code "ray-actor-x"});
     * the caller closes it.
     */
    public static BufferAllocator allocator(String name) {
        return Allocators.child(name);
    }

    /**
     * Moves every vector of {@code root} into a new root accounted to {@code allocator} (a child of
     * the same root), without copying values: how an actor's result becomes the caller's. {@code
     * root} is left empty; the caller still closes it.
     */
    public static VectorSchemaRoot transfer(VectorSchemaRoot root, BufferAllocator allocator) {
        return Roots.transfer(root, allocator);
    }

    /** {@code root} (schema and one record batch) as Arrow IPC stream bytes. */
    public static byte[] toIpc(VectorSchemaRoot root) throws IOException {
        return ArrowIpc.write(root);
    }

    /** The batch in {@code ipc}, allocated from {@code allocator} and owned by the caller. */
    public static VectorSchemaRoot fromIpc(byte[] ipc, BufferAllocator allocator)
            throws IOException {
        return ArrowIpc.read(ipc, allocator);
    }
}
