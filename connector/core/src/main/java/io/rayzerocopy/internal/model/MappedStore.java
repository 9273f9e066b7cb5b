package io.rayzerocopy.internal.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A weight store mapped read-only into this process, with a lease on it. Tensors are views of the
 * mappings; the mappings stay alive for as long as this object is reachable, so every model bound
 * to it keeps a strong reference (closing the NDArrays alone would let a GC unmap pages libtorch
 * still reads). Reference-counted: {@link #retain()} for each model bound, {@link #close()} to
 * release; the lease is released when the count drops to zero.
 */
public final class MappedStore implements AutoCloseable {
    private final StoreRef ref;
    private final Path directory;
    private final List<ByteBuffer> shards;
    private final Map<String, TensorSpec> specs = new HashMap<>();
    private final Runnable onRelease;
    private final AtomicInteger refs = new AtomicInteger(1);

    MappedStore(StoreRef ref, Path directory, List<ByteBuffer> shards, Runnable onRelease) {
        this.ref = ref;
        this.directory = directory;
        this.shards = List.copyOf(shards);
        this.onRelease = onRelease;
        for (TensorSpec t : ref.tensors()) {
            specs.put(t.name(), t);
        }
    }

    /** The store this maps. */
    public StoreRef ref() {
        return ref;
    }

    /** The store's directory on this machine. */
    public Path directory() {
        return directory;
    }

    /** The path of an extra file of the store (e.g. a TorchScript skeleton). */
    public Path file(String name) {
        if (!ref.files().containsKey(name)) {
            throw new IllegalArgumentException(
                    "weight store " + directory + " has no file '" + name + "'");
        }
        return StoreLayout.filePath(directory, name);
    }

    /** The tensor's location, or {@code null} if the store has no tensor of that name. */
    public TensorSpec spec(String name) {
        return specs.get(name);
    }

    /** A direct, read-only, little-endian view of the tensor's bytes inside the mapping. */
    public ByteBuffer tensor(TensorSpec spec) {
        ByteBuffer shard = shards.get(spec.shard());
        return shard.slice((int) spec.offset(), (int) spec.byteSize())
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Adds a user of this mapping. */
    public MappedStore retain() {
        if (refs.getAndIncrement() <= 0) {
            refs.decrementAndGet();
            throw new IllegalStateException("mapping of " + directory + " was already released");
        }
        return this;
    }

    /** Releases one user; the last release gives up this process's lease on the store. */
    @Override
    public void close() {
        if (refs.decrementAndGet() == 0) {
            onRelease.run();
        }
    }
}
