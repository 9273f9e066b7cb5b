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
     * numeric column [rows], with the column's type (float32, float64, int32, int64). The tensor is
     * a view of the column's memory, not a copy: it is valid during the call only, and writing to
     * it writes the input column; {@code duplicate()} it to keep or modify it.
     *
     * @throws IllegalArgumentException naming the column if it is missing, holds nulls, is ragged,
     *     or has a type without a tensor form
     */
    public NDArray tensor(String column) {
        return Tensors.view(root, column, manager());
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
     * The result columns of a call, in the order they are added. The result may have more or fewer
     * rows than the input (a function may filter, explode or chunk, as with Ray Data's {@code
     * map_batches}); every column of one result has the same number of rows, and a {@link #keep
     * kept} column, which passes the input's rows through, has the input's. {@link #build()} hands
     * them over as a {@code VectorSchemaRoot}.
     */
    public final class Output {
        private final Map<String, FieldVector> columns = new LinkedHashMap<>();
        private boolean built;

        /** The output's row count once a column set it (-1 before), and which column did. */
        private long rows = -1;

        private String rowsFrom;
        private boolean rowsKept;

        private Output() {}

        /**
         * Adds {@code array} (shape [rows] or [rows, dim], any number of rows) as column {@code
         * name}; the data is copied, so the array may be closed afterwards.
         */
        public Output put(String name, NDArray array) {
            checkName(name);
            Objects.requireNonNull(array, "array");
            if (array.getShape().dimension() == 0) {
                throw new IllegalArgumentException(
                        "NDArray for column '"
                                + name
                                + "' is a scalar; give shape [rows] or [rows, dim]");
            }
            checkRows(name, array.getShape().get(0), false);
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
            checkRows(name, vector.getValueCount(), false);
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
         * Passes input columns through unchanged (e.g. ids next to predictions), without copying;
         * the output then has one row per input row.
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
                checkRows(name, rowCount(), true);
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
            result.setRowCount(rows < 0 ? rowCount() : (int) rows);
            return result;
        }

        /**
         * Every column of an output has the same number of rows, which may differ from the input's;
         * a kept column has the input's.
         */
        private void checkRows(String name, long count, boolean kept) {
            if (rows < 0) {
                rows = count;
                rowsFrom = name;
                rowsKept = kept;
                return;
            }
            if (count == rows) {
                return;
            }
            String keepHint =
                    "; keep() passes the batch's input rows through one to one, so it fits only an"
                            + " output with one row per input row: to return other rows, put()"
                            + " the values you want instead (e.g. the column as a tensor, indexed)";
            if (kept) {
                throw new IllegalArgumentException(
                        "cannot keep column '"
                                + name
                                + "': it has the batch's "
                                + count
                                + " rows, but column '"
                                + rowsFrom
                                + "' of the output has "
                                + rows
                                + keepHint);
            }
            throw new IllegalArgumentException(
                    "column '"
                            + name
                            + "' has "
                            + count
                            + " rows, but column '"
                            + rowsFrom
                            + "' of the output has "
                            + rows
                            + (rowsKept
                                    ? " (kept from the input)" + keepHint
                                    : "; all columns of one output have the same number of rows"));
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
