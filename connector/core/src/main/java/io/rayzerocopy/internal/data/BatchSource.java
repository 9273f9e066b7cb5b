package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/** Where a dataset's rows come from: Parquet files, in-memory items or Arrow batches. */
public interface BatchSource {

    /** The Arrow schema of the batches {@link #open} produces. */
    Schema schema();

    /** The number of rows, when it is known without reading the data. */
    OptionalLong rowCount();

    /**
     * How many batches {@link #open} makes with {@code batchSize}, when known without reading the
     * data (a source that yields no row is read as one empty batch).
     */
    default OptionalLong batchCount(int batchSize) {
        return OptionalLong.empty();
    }

    /**
     * The splits a job over this source can be resumed by, in read order: each split's name (the
     * {@code range().source()} of its batches, e.g. a file's absolute path) mapped to what
     * identifies its content (e.g. size and modification time). Empty for a source a later process
     * cannot read again as it was (rows held in memory).
     */
    default Map<String, String> splits() {
        return Map.of();
    }

    /**
     * This source without the splits named (those {@link #splits()} lists); the schema stays that
     * of the whole source.
     *
     * @throws UnsupportedOperationException if the source has no splits to skip
     */
    default BatchSource skipSplits(Set<String> names) {
        if (names.isEmpty()) {
            return this;
        }
        throw new UnsupportedOperationException(this + " cannot skip splits");
    }

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
    default void checkOutput(String output) {}
}
