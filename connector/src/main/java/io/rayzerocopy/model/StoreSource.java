package io.rayzerocopy.model;

import java.io.IOException;
import java.io.Serializable;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Where a machine that lacks a weight store can get it: on a cluster the driver publishes the
 * store's files (e.g. as Ray objects) and each node materializes the store once, atomically, before
 * its first {@code load()}; every actor on the node then maps that one copy. Serializable: it
 * travels inside the {@link io.rayzerocopy.ModelWrapper}.
 */
public interface StoreSource extends Serializable {
    /** The store's files, relative to its directory (e.g. {@code shard-00000.safetensors}). */
    List<String> files();

    /** Writes the file's bytes to {@code out}. */
    void copy(String file, WritableByteChannel out) throws IOException;

    /**
     * Sets how stores are published as {@code fromModel} writes them; {@code null} (the default)
     * publishes nothing, for single-machine use. A runtime spanning machines (Ray on a cluster)
     * sets it when it starts.
     */
    static void setPublisher(Function<StoreRef, StoreSource> publisher) {
        Publisher.current = publisher;
    }

    /**
     * Publishes {@code ref} with the current publisher, or returns {@code null} if there is none.
     */
    static StoreSource publish(StoreRef ref) {
        Function<StoreRef, StoreSource> p = Publisher.current;
        return p == null ? null : Objects.requireNonNull(p.apply(ref), "publisher returned null");
    }

    /** Holder of the process-wide publisher. */
    final class Publisher {
        private static volatile Function<StoreRef, StoreSource> current;

        private Publisher() {}
    }
}
