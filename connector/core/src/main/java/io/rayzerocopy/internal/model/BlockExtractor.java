package io.rayzerocopy.internal.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import io.rayzerocopy.BlockModel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Shares a model written in Java with DJL {@link Block}s. DJL blocks cannot be serialized, so
 * actors rebuild the block with the serializable {@link BlockModel.Factory} and bind its parameters to the
 * mapped weights before {@code initialize}, so no weights are ever allocated.
 */
public final class BlockExtractor implements ModelExtractor {
    private final BlockModel.Factory factory;
    private final Model trained;

    /** The weights of {@code trained}, whose structure {@code factory} rebuilds. */
    public BlockExtractor(BlockModel.Factory factory, Model trained) {
        this.factory = factory;
        this.trained = trained;
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
            tensors.add(
                    new WeightStore.Tensor(
                            prefix + p.getKey(),
                            array.getDataType(),
                            array.getShape().getShape(),
                            array.toByteBuffer(true)));
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
        return new Extracted(
                tensors,
                Map.of(),
                new BlockSkeleton(factory, block.getInputShapes(), trained.getDataType()),
                null,
                List::of);
    }

    /** Rebuilds the block around mapped weights. */
    static final class BlockSkeleton implements Skeleton {
        private static final long serialVersionUID = 1L;
        private final BlockModel.Factory factory;
        private final long[][] inputShapes;
        private final DataType dataType;

        BlockSkeleton(BlockModel.Factory factory, Shape[] inputShapes, DataType dataType) {
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
            Model model = Model.newInstance(name, device, Djl.engineName());
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
