package io.rayzerocopy.internal.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
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
 *
 * <p>A shard under 2 GB is a {@code MappedByteBuffer}; a larger one (a single tensor past 2 GB) is
 * mapped whole by {@link LargeMappings}, and unmapped when this object is collected.
 */
public final class MappedStore implements AutoCloseable {
    private final StoreRef ref;
    private final Path directory;

    /** Each shard's mapping: a {@code ByteBuffer}, or a {@link LargeMappings.Mapping}. */
    private final List<Object> shards = new ArrayList<>();

    private final Map<String, TensorSpec> specs = new HashMap<>();
    private final Runnable onRelease;
    private final AtomicInteger refs = new AtomicInteger(1);

    private MappedStore(StoreRef ref, Path directory, Runnable onRelease) {
        this.ref = ref;
        this.directory = directory;
        this.onRelease = onRelease;
        for (TensorSpec t : ref.tensors()) {
            specs.put(t.name(), t);
        }
    }

    /** Maps every shard of the store in {@code directory} read-only. */
    static MappedStore map(StoreRef ref, Path directory, Runnable onRelease) throws IOException {
        MappedStore store = new MappedStore(ref, directory, onRelease);
        for (int i = 0; i < ref.shardSizes().size(); i++) {
            try (FileChannel ch =
                    FileChannel.open(
                            StoreLayout.shardPath(directory, i), StandardOpenOption.READ)) {
                long size = ch.size();
                store.shards.add(
                        size <= Integer.MAX_VALUE
                                ? ch.map(FileChannel.MapMode.READ_ONLY, 0, size)
                                : LargeMappings.map(ch, size, store));
            }
        }
        return store;
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

    /**
     * A direct, little-endian view of the tensor's bytes inside the mapping. For a tensor past 2 GB
     * it covers the first 2^31-1 bytes: only {@link TorchTypes#bind}, which hands libtorch the
     * address, may take it.
     */
    public ByteBuffer tensor(TensorSpec spec) {
        Object shard = shards.get(spec.shard());
        if (shard instanceof LargeMappings.Mapping m) {
            int capacity = (int) Math.min(spec.byteSize(), Integer.MAX_VALUE);
            return LargeMappings.buffer(m.address() + spec.offset(), capacity)
                    .order(ByteOrder.LITTLE_ENDIAN);
        }
        return ((ByteBuffer) shard)
                .slice((int) spec.offset(), (int) spec.byteSize())
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Adds a user of this mapping unless it was released already; whether it did. */
    boolean tryRetain() {
        int n;
        do {
            n = refs.get();
            if (n <= 0) {
                return false;
            }
        } while (!refs.compareAndSet(n, n + 1));
        return true;
    }

    /** Adds a user of this mapping. */
    public MappedStore retain() {
        if (refs.getAndIncrement() <= 0) {
            refs.decrementAndGet();
            throw new IllegalStateException("mapping of " + directory + " was already released");
        }
        return this;
    }

    /**
     * Releases one user; the last release unmaps the store at once and gives up this process's
     * lease on it. Every model bound to it is closed by then; a skeleton kept for reuse ({@link
     * SkeletonPool}) still points into it, but nothing reads it before it is bound again.
     */
    @Override
    public void close() {
        if (refs.decrementAndGet() == 0) {
            for (Object shard : shards) {
                if (shard instanceof LargeMappings.Mapping m) {
                    m.unmap().clean();
                } else {
                    LargeMappings.unmap((ByteBuffer) shard);
                }
            }
            onRelease.run();
        }
    }
}
