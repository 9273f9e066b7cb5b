package io.rayzerocopy.spark;

import io.rayzerocopy.ActorFactory;
import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.BatchIterator;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.spark.internal.ArrowRows;
import io.rayzerocopy.spark.internal.ExecutorActors;
import io.rayzerocopy.spark.internal.RowBatches;
import io.rayzerocopy.spark.internal.Shipping;

import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.TaskCompletionListener;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * {@code mapBatches} over a Spark DataFrame, for code already in Spark: each partition's rows are
 * converted to Arrow batches, run through a pool of actors in the executor (threads kept across
 * tasks, each mapping the machine's one copy of the weights), and the batches the actors return are
 * converted back to rows. Public Spark API only ({@code mapPartitions} with a row encoder); rows
 * are converted value by value on the way in and out (docs/spark.md: what that costs). For Parquet
 * in and out, a {@link io.rayzerocopy.Dataset} on the {@code spark} runtime stays columnar.
 *
 * <pre>{@code
 * StructType out = DataFrames.outputSchema(df, ModelScorer::new, config, 16);
 * Dataset<Row> scored =
 *         DataFrames.mapBatches(df, ModelScorer::new, config, 256, ActorPoolStrategy.size(1), out);
 * }</pre>
 */
public final class DataFrames {
    private DataFrames() {}

    /**
     * The rows of the batches the actors return for {@code df}'s rows: {@code factory.create(
     * argument)} constructs each actor, which gets batches of at most {@code batchSize} rows and
     * returns the columns of {@code outputSchema} (what it puts and keeps). Spark needs that schema
     * before anything runs: declare it, or get it from {@link #outputSchema}. Lazy, like any
     * DataFrame.
     *
     * @throws IllegalArgumentException if a column of {@code df} has a type with no Arrow
     *     conversion (the message names it), or an argument is invalid
     */
    public static <C> Dataset<Row> mapBatches(
            Dataset<Row> df,
            ActorFactory<C> factory,
            C argument,
            int batchSize,
            ActorPoolStrategy compute,
            StructType outputSchema) {
        Objects.requireNonNull(df, "df");
        Objects.requireNonNull(factory, "factory");
        Objects.requireNonNull(compute, "compute");
        Objects.requireNonNull(outputSchema, "outputSchema");
        ExecutorActors.checkPool(df.sparkSession().sparkContext(), compute.maxSize());
        StructType in = df.schema();
        Stage<C> stage =
                new Stage<>(
                        in,
                        List.of(in.fieldNames()),
                        factory,
                        shipped(df, argument),
                        batchSize,
                        compute,
                        false);
        return df.mapPartitions(
                (MapPartitionsFunction<Row, Row>) rows -> stage.rows(rows, outputSchema, null),
                Encoders.row(outputSchema));
    }

    /**
     * The schema {@link #mapBatches} returns, found the way Ray Data finds it: by running one actor
     * on the first {@code probeRows} rows, here in this JVM (one model load, mapped zero-copy from
     * this machine's store). Costs a small Spark job ({@code limit}) and one batch.
     *
     * @throws IllegalArgumentException if {@code df} is empty
     */
    public static <C> StructType outputSchema(
            Dataset<Row> df, ActorFactory<C> factory, C argument, int probeRows) {
        List<Row> sample = df.limit(probeRows).collectAsList();
        if (sample.isEmpty()) {
            throw new IllegalArgumentException(
                    "the DataFrame has no rows to run the actor on: declare the output schema");
        }
        StructType in = df.schema();
        Schema arrow = ArrowRows.toArrow(in);
        int[] all = new int[in.fields().length];
        Arrays.setAll(all, i -> i);
        try (RowBatches batches =
                new RowBatches(sample.iterator(), all, arrow, probeRows, null, null)) {
            return ArrowRows.toSpark(
                    io.rayzerocopy.Dataset.fromArrowStream(arrow, batches)
                            .mapBatches(factory, argument, probeRows, ActorPoolStrategy.size(1))
                            .schema());
        }
    }

    /**
     * {@code df} with the actors' output columns appended to every row, as a Spark ML transformer
     * does: only {@code inputColumns} are converted to Arrow, the other columns never leave their
     * rows (any type passes). The actors run in input order and must return one row per input row,
     * with the columns of {@code appended}.
     */
    static <C> Dataset<Row> appendColumns(
            Dataset<Row> df,
            List<String> inputColumns,
            ActorFactory<C> factory,
            C argument,
            int batchSize,
            ActorPoolStrategy compute,
            StructType appended) {
        ExecutorActors.checkPool(df.sparkSession().sparkContext(), compute.maxSize());
        StructType in = df.schema();
        StructType out = in;
        for (StructField field : appended.fields()) {
            out = out.add(field);
        }
        Stage<C> stage =
                new Stage<>(
                        in, inputColumns, factory, shipped(df, argument), batchSize, compute, true);
        return df.mapPartitions(
                (MapPartitionsFunction<Row, Row>)
                        rows -> {
                            Queue<Row> originals = new ConcurrentLinkedQueue<>();
                            Iterator<Row> produced = stage.rows(rows, appended, originals);
                            return new Appended(produced, originals);
                        },
                Encoders.row(out));
    }

    /** {@code argument} with its wrappers' stores published when executors may lack them. */
    private static <C> C shipped(Dataset<Row> df, C argument) {
        if (!(argument instanceof Serializable serializable)) {
            return argument;
        }
        @SuppressWarnings("unchecked")
        C copy = (C) Shipping.forCluster(df.sparkSession().sparkContext(), serializable);
        return copy;
    }

    /** One map over a partition's rows, shipped to the executors. */
    private static final class Stage<C> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final int[] ordinals;
        private final String arrowSchema;
        private final ActorFactory<C> factory;
        private final C argument;
        private final int batchSize;
        private final ActorPoolStrategy compute;
        private final boolean preserveOrder;

        Stage(
                StructType in,
                List<String> columns,
                ActorFactory<C> factory,
                C argument,
                int batchSize,
                ActorPoolStrategy compute,
                boolean preserveOrder) {
            if (batchSize <= 0) {
                throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
            }
            this.ordinals = columns.stream().mapToInt(in::fieldIndex).toArray();
            List<StructField> selected = new ArrayList<>();
            for (int ordinal : ordinals) {
                selected.add(in.fields()[ordinal]);
            }
            // Arrow schemas are not Serializable: ship the JSON form.
            this.arrowSchema =
                    ArrowRows.toArrow(new StructType(selected.toArray(new StructField[0])))
                            .toJson();
            this.factory = factory;
            this.argument = argument;
            this.batchSize = batchSize;
            this.compute = compute;
            this.preserveOrder = preserveOrder;
        }

        /** Runs the pool over {@code rows} in this task; rows of {@code out} as they come. */
        Iterator<Row> rows(Iterator<Row> rows, StructType out, Queue<Row> originals)
                throws IOException {
            TaskContext task = TaskContext.get();
            Schema schema = Schema.fromJSON(arrowSchema);
            RowBatches batches = new RowBatches(rows, ordinals, schema, batchSize, task, originals);
            BatchIterator results =
                    io.rayzerocopy.Dataset.fromArrowStream(schema, batches)
                            .withOptions(
                                    ExecutionOptions.builder()
                                            .runtime(RuntimeNames.SPARK)
                                            .preserveOrder(preserveOrder)
                                            .build())
                            .mapBatches(factory, argument, batchSize, compute)
                            .iterBatches();
            if (task != null) {
                // Also when the task fails or a limit stops it early: the pool's threads end.
                task.addTaskCompletionListener(
                        (TaskCompletionListener)
                                context -> {
                                    results.close();
                                    batches.close();
                                });
            }
            return new BatchRows(results, out);
        }
    }

    /** The rows of a stream of batches; a batch stays valid until the next is taken. */
    private static final class BatchRows implements Iterator<Row> {
        private final BatchIterator batches;
        private final StructType schema;
        private VectorSchemaRoot current;
        private FieldVector[] columns;
        private int next;
        private boolean done;

        BatchRows(BatchIterator batches, StructType schema) {
            this.batches = batches;
            this.schema = schema;
        }

        @Override
        public boolean hasNext() {
            while (!done && (current == null || next == current.getRowCount())) {
                if (!batches.hasNext()) {
                    batches.close();
                    done = true;
                    return false;
                }
                current = batches.next();
                columns = ArrowRows.columns(current, schema);
                next = 0;
            }
            return !done;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ArrowRows.toRow(columns, next++, schema);
        }
    }

    /** Each produced row appended to the input row it came from, in order. */
    private static final class Appended implements Iterator<Row> {
        private final Iterator<Row> produced;
        private final Queue<Row> originals;

        Appended(Iterator<Row> produced, Queue<Row> originals) {
            this.produced = produced;
            this.originals = originals;
        }

        @Override
        public boolean hasNext() {
            if (produced.hasNext()) {
                return true;
            }
            if (!originals.isEmpty()) {
                throw new IllegalStateException(
                        "the actor returned fewer rows than it got: appending columns needs one"
                                + " output row per input row");
            }
            return false;
        }

        @Override
        public Row next() {
            Row out = produced.next();
            Row in = originals.poll();
            if (in == null) {
                throw new IllegalStateException(
                        "the actor returned more rows than it got: appending columns needs one"
                                + " output row per input row");
            }
            Object[] values = new Object[in.size() + out.size()];
            for (int i = 0; i < in.size(); i++) {
                values[i] = in.get(i);
            }
            for (int i = 0; i < out.size(); i++) {
                values[in.size() + i] = out.get(i);
            }
            return RowFactory.create(values);
        }
    }
}
