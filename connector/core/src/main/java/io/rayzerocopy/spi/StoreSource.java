package io.rayzerocopy.spi;

import java.io.IOException;
import java.io.Serializable;
import java.nio.channels.WritableByteChannel;
import java.util.List;

/**
 * Where a machine that lacks a weight store can get it: on a cluster the driver publishes the
 * store's files (e.g. as Ray objects, or through Spark's file server) and each node materializes
 * the store once, atomically, before its first {@code load()}; every actor on the node then maps
 * that one copy. Serializable: it travels inside the wrapper (see {@link StoreShipping}).
 */
@Experimental
public interface StoreSource extends Serializable {
    /** The store's files, relative to its directory (e.g. {@code shard-00000.safetensors}). */
    List<String> files();

    /** Writes the file's bytes to {@code out}. */
    void copy(String file, WritableByteChannel out) throws IOException;
}
