package io.rayzerocopy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import io.rayzerocopy.internal.data.BatchMetadata;
import io.rayzerocopy.internal.data.Tensors;
import io.rayzerocopy.internal.model.Djl;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.TransferPair;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One input batch of a {@link BatchFn} call. The framework owns the input {@link #root()} and the
 * batch's {@link #manager()}, and closes both after the call; the function reads the batch, turns
 * columns into tensors, and builds its result with {@link #output()}.
 *
 * <pre>{@code
 * NDArray scores = predictor.predict(new NDList(batch.tensor("features"))).singletonOrThrow();
 * return batch.output().keep("id").put("scores", scores).build();
 * }</pre>
 */
public final class Batch {
    private final VectorSchemaRoot root;
    private final BufferAllocator allocator;
    private final List<Output> outputs = new ArrayList<>();
    private final Map<String, Long> counters = new LinkedHashMap<>();
    private NDManager manager;

    Batch(VectorSchemaRoot root, BufferAllocator allocator) {
        this.root = root;
        this.allocator = allocator;
    }

    /** Rows in the batch. */
    public int rowCount() {
        return root.getRowCount();
    }

    /** The input columns; owned by the framework, valid during the call. */
    public VectorSchemaRoot root() {
        return root;
    }

    /** The actor's allocator: allocate result vectors from it. */
    public BufferAllocator allocator() {
        return allocator;
    }

    /**
     * The manager of this batch's tensors: every NDArray it owns (those of {@link #tensor}, and the
     * outputs of a model run on them) is freed after the call, so a function allocates freely.
     */
    public NDManager manager() {
        if (manager == null) {
            manager = NDManager.newBaseManager(Djl.engineName());
        }
        return manager;
    }

    /**
     * A column as a tensor of this batch: a (fixed-size) list of numbers gives [rows, dim], a
     * numeric column [rows], with the column's type (float32, float64, int32, int64).
     *
     * @throws IllegalArgumentException naming the column if it is missing, holds nulls, is ragged,
     *     or has a type without a tensor form
     */
    public NDArray tensor(String column) {
        return Tensors.toNDArray(root, column, manager());
    }

    /** Numeric columns as one float32 tensor of shape [rows, columns.size()]. */
    public NDArray tensor(List<String> columns) {
        return Tensors.toNDArray(root, columns, manager());
    }

    /** A new, empty result for this batch. */
    public Output output() {
        Output output = new Output();
        outputs.add(output);
        return output;
    }

    /**
     * Adds {@code n} to the counter {@code name} of this call; the run sums counters over batches
     * into the operator's stats ({@link OperatorStats#counters()}).
     */
    void count(String name, long n) {
        counters.merge(name, n, Long::sum);
    }

    /** {@code result} carrying this call's counters to the driver. */
    VectorSchemaRoot withCounters(VectorSchemaRoot result) {
        return BatchMetadata.withCounters(result, counters);
    }

    /** Frees the batch's tensors and the vectors of results that were started but never built. */
    void release() {
        if (manager != null) {
            manager.close();
            manager = null;
        }
        for (Output output : outputs) {
            output.discard();
        }
    }

    /**
     * The result columns of a call, in the order they are added. Every column must have one row per
     * input row. {@link #build()} hands them over as a {@code VectorSchemaRoot}.
     */
    public final class Output {
        private final Map<String, FieldVector> columns = new LinkedHashMap<>();
        private boolean built;

        private Output() {}

        /**
         * Adds {@code array} (shape [rows] or [rows, dim]) as column {@code name}; the data is
         * copied, so the array may be closed afterwards.
         */
        public Output put(String name, NDArray array) {
            checkName(name);
            Objects.requireNonNull(array, "array");
            if (array.getShape().dimension() == 0 || array.getShape().get(0) != rowCount()) {
                throw new IllegalArgumentException(
                        "NDArray for column '"
                                + name
                                + "' has shape "
                                + array.getShape()
                                + " but the batch has "
                                + rowCount()
                                + " rows");
            }
            columns.put(name, Tensors.toVector(name, array, allocator));
            return this;
        }

        /**
         * Adds {@code vector} as column {@code name}, taking ownership of it. Allocate it from
         * {@link Batch#allocator()}.
         */
        public Output put(String name, FieldVector vector) {
            checkName(name);
            Objects.requireNonNull(vector, "vector");
            if (vector.getValueCount() != rowCount()) {
                throw new IllegalArgumentException(
                        "vector for column '"
                                + name
                                + "' has "
                                + vector.getValueCount()
                                + " values but the batch has "
                                + rowCount()
                                + " rows");
            }
            if (vector.getName().equals(name)) {
                columns.put(name, vector);
            } else {
                TransferPair renamed = vector.getTransferPair(name, allocator);
                renamed.transfer();
                vector.close();
                columns.put(name, (FieldVector) renamed.getTo());
            }
            return this;
        }

        /**
         * Passes input columns through unchanged (e.g. ids next to predictions), without copying.
         */
        public Output keep(String... names) {
            for (String name : names) {
                checkName(name);
                FieldVector input = root.getVector(name);
                if (input == null) {
                    throw new IllegalArgumentException(
                            "cannot keep column '"
                                    + name
                                    + "': the batch has columns "
                                    + root.getSchema().getFields().stream()
                                            .map(f -> f.getName())
                                            .toList());
                }
                TransferPair pair = input.getTransferPair(allocator);
                pair.splitAndTransfer(0, rowCount());
                columns.put(name, (FieldVector) pair.getTo());
            }
            return this;
        }

        /** The result; call once, and return it from {@link BatchFn#call}. */
        public VectorSchemaRoot build() {
            checkOpen();
            built = true;
            VectorSchemaRoot result = new VectorSchemaRoot(new ArrayList<>(columns.values()));
            result.setRowCount(rowCount());
            return result;
        }

        private void checkName(String name) {
            checkOpen();
            Objects.requireNonNull(name, "column name");
            if (columns.containsKey(name)) {
                throw new IllegalArgumentException(
                        "the output already has a column '" + name + "'");
            }
        }

        private void checkOpen() {
            if (built) {
                throw new IllegalStateException(
                        "this output was already built; start another with" + " batch.output()");
            }
        }

        private void discard() {
            if (!built) {
                columns.values().forEach(FieldVector::close);
                columns.clear();
                built = true;
            }
        }
    }
}
