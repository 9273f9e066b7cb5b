package io.rayzerocopy.internal.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import io.rayzerocopy.internal.data.BatchMetadata;
import io.rayzerocopy.internal.data.MappedBatch;
import io.rayzerocopy.internal.data.RowRange;
import io.rayzerocopy.internal.data.Tensors;
import io.rayzerocopy.internal.model.Djl;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;

import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The per-batch code every worker runs — a batch read in place from shared memory, a column made a
 * tensor, a tensor made a column, the result written back — run on synthetic batches while a new
 * worker waits for its actor. A fresh JVM interprets code until it has run it a few hundred times,
 * so without this the first few hundred real batches of a worker each took about three times as
 * long as the later ones (measured here: 1.5 ms against 0.5 ms for the guide's MLP at 256 rows).
 * What the actor itself runs (its model) still warms up on real batches.
 */
final class WorkerWarmup {
    private static final int ROWS = 256;
    private static final int WIDTH = 128;

    private WorkerWarmup() {}

    /**
     * Runs up to {@code rounds} synthetic batches through that code, with memory from {@code
     * allocator}, until {@code enough} says real batches have come.
     */
    static void run(BufferAllocator allocator, int rounds, BooleanSupplier enough) {
        long capacity = 4L * ROWS * (WIDTH + 4) * 4;
        try (ArrowBuf region = allocator.buffer(capacity);
                NDManager manager = Djl.engine().newBaseManager()) {
            for (int i = 0; i < rounds && !enough.getAsBoolean(); i++) {
                try (VectorSchemaRoot input = batch(allocator, i)) {
                    byte[] in = MappedBatch.write(input, region.memoryAddress(), capacity).bytes();
                    try (VectorSchemaRoot read =
                                    MappedBatch.read(
                                            in, region.memoryAddress(), allocator, () -> {});
                            NDManager batchManager = manager.newSubManager()) {
                        NDArray x = Tensors.toNDArray(read, "features", batchManager);
                        FieldVector y = Tensors.toVector("y", x.sum(new int[] {1}), allocator);
                        BigIntVector ids = (BigIntVector) read.getVector("id");
                        BigIntVector kept = new BigIntVector("id", allocator);
                        ids.makeTransferPair(kept).splitAndTransfer(0, read.getRowCount());
                        try (VectorSchemaRoot out =
                                new VectorSchemaRoot(List.<FieldVector>of(kept, y))) {
                            out.setRowCount(read.getRowCount());
                            MappedBatch.read(
                                            MappedBatch.write(out, region.memoryAddress(), capacity)
                                                    .bytes(),
                                            region.memoryAddress(),
                                            allocator,
                                            () -> {})
                                    .close();
                        }
                    }
                }
            }
        }
    }

    /** {@code id} and a fixed-size list of floats, with its origin in its metadata. */
    private static VectorSchemaRoot batch(BufferAllocator allocator, int round) {
        BigIntVector id = new BigIntVector("id", allocator);
        FixedSizeListVector features = FixedSizeListVector.empty("features", WIDTH, allocator);
        features.addOrGetVector(
                FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)));
        id.allocateNew(ROWS);
        features.setInitialCapacity(ROWS);
        features.allocateNew();
        Float4Vector values = (Float4Vector) features.getDataVector();
        for (int r = 0; r < ROWS; r++) {
            id.set(r, (long) round * ROWS + r);
            features.setNotNull(r);
            for (int c = 0; c < WIDTH; c++) {
                values.set(r * WIDTH + c, r - c);
            }
        }
        id.setValueCount(ROWS);
        values.setValueCount(ROWS * WIDTH);
        features.setValueCount(ROWS);
        VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(id, features));
        root.setRowCount(ROWS);
        return BatchMetadata.withOrigin(root, new RowRange("warm-up", (long) round * ROWS, ROWS));
    }
}
