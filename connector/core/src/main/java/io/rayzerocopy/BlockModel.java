package io.rayzerocopy;

import ai.djl.Model;
import ai.djl.nn.Block;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;

/**
 * A model written in Java with DJL {@link Block}s, with its trained weights. DJL blocks cannot be
 * serialized, so each actor rebuilds the block with a serializable {@link Factory} (e.g. a static
 * method reference) and binds its parameters to the shared mapping before {@code initialize}, so no
 * weights are ever allocated.
 *
 * <pre>{@code
 * Model trained = ...;   // holds SimpleClassifier.network(), initialized and trained
 * ModelWrapper<Model> w = ModelWrapper.fromModel(BlockModel.of(SimpleClassifier::network, trained), Mode.ACTOR);
 * }</pre>
 */
public final class BlockModel implements ModelSource {
    /** Builds an uninitialized block with the model's structure; must be serializable. */
    @FunctionalInterface
    public interface Factory extends Serializable {
        /** Returns a new, uninitialized block. */
        Block create();
    }

    private static final Map<Model, Factory> REGISTERED =
            Collections.synchronizedMap(new WeakHashMap<>());

    private final Factory factory;
    private final Model trained;

    private BlockModel(Factory factory, Model trained) {
        this.factory = factory;
        this.trained = trained;
    }

    /**
     * A Java block model whose weights are those of {@code trained}; {@code factory} must build the
     * same structure as {@code trained.getBlock()}.
     */
    public static BlockModel of(Factory factory, Model trained) {
        Objects.requireNonNull(factory, "factory");
        Objects.requireNonNull(trained, "trained");
        Block block = trained.getBlock();
        if (block == null || !block.isInitialized()) {
            throw new IllegalArgumentException(
                    "model '"
                            + trained.getName()
                            + "' has no initialized block: call block.initialize(manager, dataType,"
                            + " inputShapes) (or train it) before sharing it");
        }
        return new BlockModel(factory, trained);
    }

    /**
     * Records the factory that rebuilds {@code trained}'s block and returns {@code trained} itself,
     * so a pipeline field can hold the plain DJL model and still be shared: {@code this.encoder =
     * BlockModel.register(encoderModel, Encoder::network)}.
     */
    public static Model register(Model trained, Factory factory) {
        of(factory, trained);
        REGISTERED.put(trained, factory);
        return trained;
    }

    /** The block model registered for {@code model} with {@link #register}, or {@code null}. */
    static BlockModel registered(Model model) {
        Factory factory = REGISTERED.get(model);
        return factory == null ? null : new BlockModel(factory, model);
    }

    /** The factory that rebuilds the block in each actor. */
    public Factory factory() {
        return factory;
    }

    /** The trained model whose weights are shared. */
    public Model trained() {
        return trained;
    }

    @Override
    public String toString() {
        return "BlockModel[" + trained.getName() + "]";
    }
}
