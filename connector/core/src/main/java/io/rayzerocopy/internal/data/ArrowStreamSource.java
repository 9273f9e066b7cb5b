package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A one-shot stream of Arrow batches as a {@link BatchSource}, e.g. another engine's rows converted
 * to Arrow while they are read. The first reader takes each batch over: moved into the reader's
 * allocator when it shares this process's root allocator, copied otherwise, then closed. Batches
 * are cut to the requested batch size, never merged; row ranges count rows across the stream.
 */
public final class ArrowStreamSource implements BatchSource {
    private static final String LABEL = "arrow stream";

    private final Schema schema;
    private final Iterator<VectorSchemaRoot> batches;
    private final List<String> columns;
    private final AtomicBoolean opened;

    private ArrowStreamSource(
            Schema schema,
            Iterator<VectorSchemaRoot> batches,
            List<String> columns,
            AtomicBoolean opened) {
        this.schema = schema;
        this.batches = batches;
        this.columns = columns;
        this.opened = opened;
    }

    /** Batches of {@code schema} from {@code batches}, read once. */
    public static ArrowStreamSource of(Schema schema, Iterator<VectorSchemaRoot> batches) {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(batches, "batches");
        return new ArrowStreamSource(
                schema,
                batches,
                schema.getFields().stream().map(Field::getName).toList(),
                new AtomicBoolean());
    }

    @Override
    public Schema schema() {
        return new Schema(columns.stream().map(schema::findField).toList());
    }

    @Override
    public OptionalLong rowCount() {
        return OptionalLong.empty();
    }

    @Override
    public ArrowStreamSource select(List<String> selected) {
        Objects.requireNonNull(selected, "columns");
        for (String column : selected) {
            if (schema.getFields().stream().noneMatch(f -> f.getName().equals(column))) {
                throw new IllegalArgumentException(
                        "column '"
                                + column
                                + "' does not exist; columns are "
                                + schema.getFields().stream().map(Field::getName).toList());
            }
        }
        return new ArrowStreamSource(schema, batches, List.copyOf(selected), opened);
    }

    @Override
    public BatchReader open(BufferAllocator allocator, int batchSize) {
        Objects.requireNonNull(allocator, "allocator");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        if (opened.getAndSet(true)) {
            throw new IllegalStateException(
                    "a stream of Arrow batches is read once; build a new dataset to read it again");
        }
        return new BatchReader() {
            private VectorSchemaRoot current;
            private int offset;
            private long streamRow;

            @Override
            public SourceBatch next() {
                while (current == null || offset == current.getRowCount()) {
                    closeCurrent();
                    if (!batches.hasNext()) {
                        return null;
                    }
                    current = takeOver(batches.next(), allocator);
                    offset = 0;
                }
                int rows = Math.min(batchSize, current.getRowCount() - offset);
                VectorSchemaRoot slice = Roots.slice(current, offset, rows, allocator);
                RowRange range = new RowRange(LABEL, streamRow, rows);
                offset += rows;
                streamRow += rows;
                return new SourceBatch(slice, range);
            }

            private void closeCurrent() {
                if (current != null) {
                    current.close();
                    current = null;
                }
            }

            @Override
            public void close() {
                closeCurrent();
            }
        };
    }

    /** The selected columns of {@code batch}, owned by {@code allocator}; {@code batch} closed. */
    private VectorSchemaRoot takeOver(VectorSchemaRoot batch, BufferAllocator allocator) {
        try (VectorSchemaRoot given =
                Objects.requireNonNull(batch, "the stream gave a null batch")) {
            if (!given.getSchema().equals(schema)) {
                throw new IllegalArgumentException(
                        "a batch of the stream has schema "
                                + given.getSchema()
                                + ", not the declared "
                                + schema);
            }
            VectorSchemaRoot owned =
                    sameRoot(given, allocator)
                            ? Roots.transfer(given, allocator)
                            : copy(given, allocator);
            List<FieldVector> kept = new ArrayList<>();
            for (String column : columns) {
                kept.add(owned.getVector(column));
            }
            for (FieldVector vector : owned.getFieldVectors()) {
                if (!kept.contains(vector)) {
                    vector.close();
                }
            }
            return new VectorSchemaRoot(schema(), kept, owned.getRowCount());
        }
    }

    private static boolean sameRoot(VectorSchemaRoot batch, BufferAllocator allocator) {
        for (FieldVector vector : batch.getFieldVectors()) {
            if (vector.getAllocator().getRoot() != allocator.getRoot()) {
                return false;
            }
        }
        return true;
    }

    private static VectorSchemaRoot copy(VectorSchemaRoot batch, BufferAllocator allocator) {
        try {
            return ArrowIpc.read(ArrowIpc.write(batch), allocator);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy a batch of the Arrow stream", e);
        }
    }

    @Override
    public String toString() {
        return "ArrowStreamSource" + columns;
    }
}
