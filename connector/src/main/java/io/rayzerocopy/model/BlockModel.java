package io.rayzerocopy.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A model written in Java with DJL {@link Block}s. DJL blocks cannot be serialized, so actors
 * rebuild the block with a serializable {@link Factory} (e.g. a static method reference) and bind
 * its parameters to the mapped weights before {@code initialize}, so no weights are ever allocated.
 *
 * <pre>{@code
 * Model trained = ...;   // holds SimpleClassifier.build(), initialized and trained
 * ModelWrapper w = ModelWrapper.fromModel(BlockModel.of(SimpleClassifier::build, trained), Mode.ACTOR);
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
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

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
                            + "' has no initialized block: call"
                            + " block.initialize(manager, dataType, inputShapes) (or train it) before sharing it");
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

    @Override
    public Extracted extract(String prefix, List<String> methodNames) {
        if (!methodNames.isEmpty() && !methodNames.equals(List.of("forward"))) {
            throw new IllegalArgumentException(
                    "methodNames " + methodNames + ": a Java block has only 'forward'");
        }
        Block block = trained.getBlock();
        List<WeightStore.Tensor> tensors = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray array = p.getValue().getArray();
            ByteBuffer data = array.toByteBuffer(true);
            tensors.add(
                    new WeightStore.Tensor(
                            prefix + p.getKey(),
                            array.getDataType(),
                            array.getShape().getShape(),
                            data));
        }
        Block probe = factory.create();
        List<String> expected = new ArrayList<>(block.getParameters().keys());
        List<String> rebuilt = new ArrayList<>(probe.getParameters().keys());
        if (!expected.equals(rebuilt)) {
            throw new IllegalArgumentException(
                    "the block factory builds parameters "
                            + rebuilt
                            + " but model '"
                            + trained.getName()
                            + "' has "
                            + expected
                            + ": the factory must build the model's structure");
        }
        Shape[] inputShapes = block.getInputShapes();
        DataType dataType = trained.getDataType();
        return new Extracted(
                tensors, Map.of(), new BlockSkeleton(factory, inputShapes, dataType), null);
    }

    /** Rebuilds the block around mapped weights. */
    static final class BlockSkeleton implements Skeleton {
        private static final long serialVersionUID = 1L;
        private final Factory factory;
        private final long[][] inputShapes;
        private final DataType dataType;

        BlockSkeleton(Factory factory, Shape[] inputShapes, DataType dataType) {
            this.factory = factory;
            this.inputShapes = new long[inputShapes.length][];
            for (int i = 0; i < inputShapes.length; i++) {
                this.inputShapes[i] = inputShapes[i].getShape();
            }
            this.dataType = dataType;
        }

        private Shape[] shapes() {
            Shape[] shapes = new Shape[inputShapes.length];
            for (int i = 0; i < shapes.length; i++) {
                shapes[i] = new Shape(inputShapes[i]);
            }
            return shapes;
        }

        @Override
        public Model bind(MappedStore store, String prefix, Device device, String name) {
            Djl.engine();
            Model model = Model.newInstance(name, device, Djl.ENGINE);
            try {
                Block block = factory.create();
                String what = "the Java block built by " + factory.getClass().getName();
                Set<String> used =
                        Binding.bindBlockParameters(
                                block, store, prefix, model.getNDManager(), what);
                Binding.checkAllUsed(store, prefix, used, what);
                block.freezeParameters(true);
                block.initialize(model.getNDManager(), dataType, shapes());
                model.setBlock(block);
                Binding.keepAlive(model.getNDManager(), store);
                return model;
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }

        @Override
        public List<String> methodNames() {
            return List.of("forward");
        }
    }
}
