package io.rayzerocopy.internal.data;

import io.rayzerocopy.DatasetException;
import io.rayzerocopy.internal.storage.Storage;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Batches of Parquet files, or of parts of them, read one after the other: each is opened when the
 * one before it is done, and each must have the first one's schema. Parts without rows (Spark and
 * Hive write such part files) give no batch: an empty batch would reach the model, and a list
 * column without rows has no width to make a tensor of.
 */
final class ParquetFilesReader implements BatchReader {
    private static final Logger LOG = LoggerFactory.getLogger(ParquetFilesReader.class);
    private final List<Supplier<ParquetFileBatches>> parts;
    private final BufferAllocator allocator;
    private final int batchSize;
    private final boolean emptyBatchIfNoRows;
    private final List<String> emptyParts = new ArrayList<>();
    private int next;
    private Schema schema;
    private String firstFile;
    private ParquetFileBatches current;
    private boolean yielded;
    private boolean anyRows;

    /**
     * @param parts opens each part, in order
     * @param emptyBatchIfNoRows whether parts that all lack rows give one empty batch, of the
     *     first part (so that the output gets the job's schema), or none
     */
    ParquetFilesReader(
            List<Supplier<ParquetFileBatches>> parts,
            BufferAllocator allocator,
            int batchSize,
            boolean emptyBatchIfNoRows) {
        this.parts = parts;
        this.allocator = allocator;
        this.batchSize = batchSize;
        this.emptyBatchIfNoRows = emptyBatchIfNoRows;
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
                    return finish();
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
            if (batch != null) {
                yielded = true;
                anyRows = true;
                return batch;
            }
            if (!yielded) {
                emptyParts.add(current.file());
            }
            current.close();
            current = null;
        }
    }

    /** After the last part: the one empty batch of an input without rows, or null. */
    private SourceBatch finish() {
        if (anyRows || emptyParts.isEmpty()) {
            if (!emptyParts.isEmpty()) {
                LOG.info(
                        "skipped {} input file(s) without rows, e.g. {}",
                        emptyParts.size(),
                        Storage.mask(emptyParts.get(0)));
                emptyParts.clear();
            }
            return null;
        }
        String first = emptyParts.get(0);
        emptyParts.clear();
        if (!emptyBatchIfNoRows) {
            return null;
        }
        VectorSchemaRoot empty = VectorSchemaRoot.create(schema, allocator);
        return new SourceBatch(empty, new RowRange(first, 0, 0));
    }

    @Override
    public void close() {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
