package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.TransferPair;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Moves and slices {@link VectorSchemaRoot}s between allocators without copying values. */
public final class Roots {
    private Roots() {}

    /**
     * Moves every vector of {@code root} into a new root whose memory is accounted to {@code
     * allocator} (same root allocator). {@code root} is left empty; the caller still closes it.
     */
    public static VectorSchemaRoot transfer(VectorSchemaRoot root, BufferAllocator allocator) {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(allocator, "allocator");
        List<FieldVector> vectors = new ArrayList<>();
        for (FieldVector vector : root.getFieldVectors()) {
            TransferPair pair = vector.getTransferPair(allocator);
            pair.transfer();
            vectors.add((FieldVector) pair.getTo());
        }
        return new VectorSchemaRoot(root.getSchema(), vectors, root.getRowCount());
    }

    /**
     * Rows {@code [from, from + count)} of {@code root} as a new root in {@code allocator}, sharing
     * value buffers where Arrow can; {@code root} stays valid and is still closed by its owner.
     */
    public static VectorSchemaRoot slice(
            VectorSchemaRoot root, int from, int count, BufferAllocator allocator) {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(allocator, "allocator");
        if (from < 0 || count < 0 || from + count > root.getRowCount()) {
            throw new IllegalArgumentException(
                    "slice ["
                            + from
                            + ", "
                            + (from + count)
                            + ") is outside a batch of "
                            + root.getRowCount()
                            + " rows");
        }
        List<FieldVector> vectors = new ArrayList<>();
        try {
            for (FieldVector vector : root.getFieldVectors()) {
                TransferPair pair = vector.getTransferPair(allocator);
                pair.splitAndTransfer(from, count);
                vectors.add((FieldVector) pair.getTo());
            }
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
        return new VectorSchemaRoot(root.getSchema(), vectors, count);
    }
}
