package io.rayzerocopy.internal.model;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A serializable reference to a committed {@link WeightStore}: its name, its content hash, and
 * where each tensor lies. It names the store, never a directory: every process finds the store in
 * its own store directory ({@link WeightStore#directory}), which differs between machines and
 * users. It never holds the weights themselves, so it is small enough to ship to actors in other
 * processes. Immutable.
 */
public final class StoreRef implements Serializable {
    private static final long serialVersionUID = 2L;

    private final String id;
    private final String sha256;
    private final List<TensorSpec> tensors;
    private final List<Long> shardSizes;
    private final Map<String, Long> files;

    StoreRef(
            String id,
            String sha256,
            List<TensorSpec> tensors,
            List<Long> shardSizes,
            Map<String, Long> files) {
        this.id = Objects.requireNonNull(id);
        this.sha256 = Objects.requireNonNull(sha256);
        this.tensors = List.copyOf(tensors);
        this.shardSizes = List.copyOf(shardSizes);
        this.files = Map.copyOf(files);
    }

    /** The store's name: derived from its content hash. */
    public String id() {
        return id;
    }

    /** SHA-256 of the store's content (tensor names, types, shapes and bytes, and extra files). */
    public String sha256() {
        return sha256;
    }

    /** Every tensor in the store, in the order they were written. */
    public List<TensorSpec> tensors() {
        return tensors;
    }

    /** Size in bytes of each shard file. */
    public List<Long> shardSizes() {
        return shardSizes;
    }

    /** Extra files (e.g. TorchScript skeletons) by name, with their sizes. */
    public Map<String, Long> files() {
        return files;
    }

    /** Total bytes of tensor data. */
    public long tensorBytes() {
        long sum = 0;
        for (TensorSpec t : tensors) {
            sum += t.byteSize();
        }
        return sum;
    }

    /** Bytes the store's shards and extra files take on disk. */
    public long diskBytes() {
        long sum = 0;
        for (long s : shardSizes) {
            sum += s;
        }
        for (long f : files.values()) {
            sum += f;
        }
        return sum;
    }

    @Override
    public String toString() {
        return "WeightStore["
                + id
                + ", "
                + tensors.size()
                + " tensors, "
                + tensorBytes()
                + " bytes]";
    }
}
