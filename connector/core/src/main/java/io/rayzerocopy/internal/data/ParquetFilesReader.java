package io.rayzerocopy.internal.data;

import io.rayzerocopy.DatasetException;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

import java.util.List;
import java.util.function.Supplier;

/**
 * Batches of Parquet files, or of parts of them, read one after the other: each is opened when the
 * one before it is done, and each must have the first one's schema.
 */
final class ParquetFilesReader implements BatchReader {
    private final List<Supplier<ParquetFileBatches>> parts;
    private final BufferAllocator allocator;
    private final int batchSize;
    private final boolean emptyBatchPerEmptyPart;
    private int next;
    private Schema schema;
    private String firstFile;
    private ParquetFileBatches current;
    private boolean yielded;

    /**
     * @param parts opens each part, in order
     * @param emptyBatchPerEmptyPart whether a part without rows gives one empty batch (so that its
     *     file has a place in the output) or none
     */
    ParquetFilesReader(
            List<Supplier<ParquetFileBatches>> parts,
            BufferAllocator allocator,
            int batchSize,
            boolean emptyBatchPerEmptyPart) {
        this.parts = parts;
        this.allocator = allocator;
        this.batchSize = batchSize;
        this.emptyBatchPerEmptyPart = emptyBatchPerEmptyPart;
    }

    /** The message for a file whose schema differs from the first file's. */
    static String mismatch(String file, Schema schema, String firstFile, Schema first) {
        return "file "
                + file
                + " has schema "
                + schema
                + ", but "
                + firstFile
                + " has "
                + first
                + "; select the columns they share or read them separately";
    }

    @Override
    public SourceBatch next() {
        while (true) {
            if (current == null) {
                if (next == parts.size()) {
                    return null;
                }
                current = parts.get(next++).get();
                yielded = false;
                if (schema == null) {
                    schema = current.schema();
                    firstFile = current.file();
                } else if (!schema.equals(current.schema())) {
                    String message = mismatch(current.file(), current.schema(), firstFile, schema);
                    close();
                    throw new DatasetException(message);
                }
            }
            SourceBatch batch = current.next(allocator, batchSize);
            if (batch == null && emptyBatchPerEmptyPart && !yielded) {
                VectorSchemaRoot empty = VectorSchemaRoot.create(schema, allocator);
                batch = new SourceBatch(empty, new RowRange(current.file(), 0, 0));
            }
            if (batch != null) {
                yielded = true;
                return batch;
            }
            current.close();
            current = null;
        }
    }

    @Override
    public void close() {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
