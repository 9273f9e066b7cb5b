package io.rayzerocopy.internal.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import io.rayzerocopy.StoreException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Shared checks and bookkeeping of binding a block's parameters to a mapped store. */
final class Binding {
    private Binding() {}

    /**
     * The store entry of a parameter, checked against the parameter's shape and dtype when known.
     */
    static TensorSpec specFor(
            MappedStore store, String prefix, String name, NDArray current, String skeletonName) {
        TensorSpec spec = store.spec(prefix + name);
        if (spec == null) {
            throw new StoreException(
                    skeletonName
                            + " has parameter '"
                            + name
                            + "' but weight store "
                            + store.directory()
                            + " has no tensor '"
                            + prefix
                            + name
                            + "': the skeleton and the weights"
                            + " come from different models; rebuild the wrapper from one model");
        }
        if (current != null) {
            if (!current.getShape().equals(spec.shape())
                    || !TorchTypes.holds(current, spec.dataType())) {
                throw new StoreException(
                        skeletonName
                                + " parameter '"
                                + name
                                + "' is "
                                + TorchTypes.describe(current)
                                + " but the weight store "
                                + store.directory()
                                + " holds "
                                + spec.describe()
                                + ": the skeleton and the weights come from different models");
            }
        }
        return spec;
    }

    /** Fails if the store holds tensors under {@code prefix} that the model never asked for. */
    static void checkAllUsed(
            MappedStore store, String prefix, Set<String> used, String skeletonName) {
        List<String> unused = new ArrayList<>();
        for (TensorSpec t : store.ref().tensors()) {
            if (t.name().startsWith(prefix) && !used.contains(t.name())) {
                unused.add(t.name().substring(prefix.length()));
            }
        }
        if (!unused.isEmpty()) {
            throw new StoreException(
                    "weight store "
                            + store.directory()
                            + " holds tensors "
                            + unused
                            + " that "
                            + skeletonName
                            + " does not have: the skeleton and the weights come from different"
                            + " models");
        }
    }

    /** Ties the mapping's life to the manager that owns the bound tensors. */
    static void keepAlive(NDManager manager, MappedStore store) {
        manager.attachInternal("rzc-mapping-" + UUID.randomUUID(), store.retain());
    }

    /** Binds every parameter of a Java block to new tensors over the mapping (torch::from_blob). */
    static Set<String> bindBlockParameters(
            Block block, MappedStore store, String prefix, NDManager manager, String what) {
        Set<String> used = new HashSet<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter param = p.getValue();
            if (param.isInitialized()) {
                throw new IllegalStateException(
                        what
                                + " parameter '"
                                + p.getKey()
                                + "' already has an array: the block"
                                + " factory must return an uninitialized block");
            }
            TensorSpec spec = specFor(store, prefix, p.getKey(), null, what);
            if (!TorchTypes.named(spec.dataType())) {
                // create() with such a type would terminate the JVM (see TorchTypes).
                throw new StoreException(
                        what
                                + " parameter '"
                                + p.getKey()
                                + "' is stored as "
                                + spec.describe()
                                + ", a type DJL Java blocks cannot hold: the weights come from"
                                + " another model");
            }
            if (spec.byteSize() > Integer.MAX_VALUE) {
                throw new StoreException(
                        what
                                + " parameter '"
                                + p.getKey()
                                + "' has "
                                + spec.byteSize()
                                + " bytes: DJL Java blocks take tensors up to 2 GB (a Java buffer's"
                                + " limit); share it as TorchScript, which binds any size");
            }
            NDArray array = manager.create(store.tensor(spec), spec.shape(), spec.dataType());
            param.setArray(array);
            used.add(spec.name());
        }
        return used;
    }
}
