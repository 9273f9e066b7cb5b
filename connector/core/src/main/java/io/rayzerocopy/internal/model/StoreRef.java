package io.rayzerocopy.internal.model;

import java.io.Serializable;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A serializable reference to a committed {@link WeightStore}: where it is, its content hash, and
 * where each tensor lies. It never holds the weights themselves, so it is small enough to ship to
 * actors in other processes. Immutable.
 */
public final class StoreRef implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String root;
    private final String id;
    private final String sha256;
    private final List<TensorSpec> tensors;
    private final List<Long> shardSizes;
    private final Map<String, Long> files;

    StoreRef(
            Path root,
            String id,
            String sha256,
            List<TensorSpec> tensors,
            List<Long> shardSizes,
            Map<String, Long> files) {
        this.root = root.toString();
        this.id = Objects.requireNonNull(id);
        this.sha256 = Objects.requireNonNull(sha256);
        this.tensors = List.copyOf(tensors);
        this.shardSizes = List.copyOf(shardSizes);
        this.files = Map.copyOf(files);
    }

    /** The directory holding all stores of this machine. */
    public Path root() {
        return Paths.get(root);
    }

    /** The store's name: derived from its content hash. */
    public String id() {
        return id;
    }

    /** SHA-256 of the store's content (tensor names, types, shapes and bytes, and extra files). */
    public String sha256() {
        return sha256;
    }

    /** This store's directory. */
    public Path directory() {
        return root().resolve(id);
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

    @Override
    public String toString() {
        return "WeightStore["
                + directory()
                + ", "
                + tensors.size()
                + " tensors, "
                + tensorBytes()
                + " bytes]";
    }
}
