package io.rayzerocopy.spark.internal;

import io.rayzerocopy.spi.ArrowBatches;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskContext$;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Queue;

/**
 * A Spark partition's rows as Arrow batches of at most {@code batchSize} rows: the input of a
 * dataset running inside the task ({@code Dataset.fromArrowStream}). The dataset pulls it from a
 * read thread of its own, so the first call there installs the task's {@link TaskContext} on that
 * thread (as PySpark's runner does for its writer thread): Spark's row iterator looks it up.
 */
public final class RowBatches implements Iterator<VectorSchemaRoot>, AutoCloseable {
    private final Iterator<Row> rows;
    private final int[] ordinals;
    private final Schema schema;
    private final int batchSize;
    private final TaskContext task;
    private final Queue<Row> originals;
    private final BufferAllocator allocator = ArrowBatches.allocator("spark-rows");
    private Thread contextSetOn;

    /**
     * Batches of the fields at {@code ordinals} of {@code rows}, typed by {@code schema}; each row
     * read is also appended to {@code originals} if given, so output rows can be paired with their
     * input rows.
     */
    public RowBatches(
            Iterator<Row> rows,
            int[] ordinals,
            Schema schema,
            int batchSize,
            TaskContext task,
            Queue<Row> originals) {
        this.rows = rows;
        this.ordinals = ordinals.clone();
        this.schema = schema;
        this.batchSize = batchSize;
        this.task = task;
        this.originals = originals;
    }

    @Override
    public boolean hasNext() {
        if (contextSetOn == null && task != null && TaskContext.get() == null) {
            // protected[spark] in Scala, without a static forwarder; public in the bytecode.
            TaskContext$.MODULE$.setTaskContext(task);
            contextSetOn = Thread.currentThread();
        }
        boolean more = rows.hasNext();
        if (!more && contextSetOn == Thread.currentThread()) {
            TaskContext$.MODULE$.unset();
            contextSetOn = null;
        }
        return more;
    }

    @Override
    public VectorSchemaRoot next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        List<Row> batch = new ArrayList<>(batchSize);
        while (batch.size() < batchSize && rows.hasNext()) {
            batch.add(rows.next());
        }
        if (originals != null) {
            originals.addAll(batch);
        }
        return ArrowRows.toBatch(batch, ordinals, schema, allocator);
    }

    /** Frees this iterator's memory; call once the dataset reading it has ended. */
    @Override
    public void close() {
        allocator.close();
    }
}
