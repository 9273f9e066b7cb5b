package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

import java.nio.file.Path;
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

    /**
     * Refuses {@code output} as a place to write this source's rows to when it would touch the
     * input: a source of files throws if {@code output} is, contains or lies inside one of its
     * input files or directories (replacing the output would delete the input; a rerun would read
     * its own output). Sources held in memory accept any output.
     *
     * @throws IllegalArgumentException naming the output and the input it overlaps
     */
    default void checkOutput(Path output) {}
}
