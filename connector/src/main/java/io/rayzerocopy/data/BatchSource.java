package io.rayzerocopy.data;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

import java.util.List;
import java.util.OptionalLong;

/** Where a dataset's rows come from: Parquet files, in-memory items or Arrow batches. */
public interface BatchSource {

    /** The Arrow schema of the batches {@link #open} produces. */
    Schema schema();

    /** The number of rows, when it is known without reading the data. */
    OptionalLong rowCount();

    /** This source restricted to {@code columns}, in that order. */
    BatchSource select(List<String> columns);

    /**
     * Starts reading. Batches hold at most {@code batchSize} rows; a source may cut a batch short
     * at a boundary of its own (a file), so that every batch has one {@link RowRange}.
     */
    BatchReader open(BufferAllocator allocator, int batchSize);
}
