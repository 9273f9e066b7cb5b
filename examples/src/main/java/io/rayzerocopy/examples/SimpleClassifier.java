package io.rayzerocopy.examples;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;

/**
 * The guide's model, {@code nn.Sequential(nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 10))}, in
 * DJL.
 */
public final class SimpleClassifier {
    private SimpleClassifier() {}

    /**
     * The block, uninitialized: a serializable factory for {@code
     * BlockModel.of(SimpleClassifier::network, model)}.
     */
    public static SequentialBlock network() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(256).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(10).build());
    }

    /** The model's own forward pass on one row, for comparing what the examples compute. */
    public static float[] forward(Model model, float[] row) {
        try (NDManager manager = NDManager.newBaseManager()) {
            return model.getBlock()
                    .forward(
                            new ParameterStore(manager, false),
                            new NDList(manager.create(row, new Shape(1, row.length))),
                            false)
                    .singletonOrThrow()
                    .toFloatArray();
        }
    }

    /** Input features. */
    public static final int INPUTS = 128;

    /** "model = SimpleClassifier(); model.eval()": a model with freshly initialized weights. */
    public static Model create() {
        Model model = Model.newInstance("simple-classifier", Device.cpu(), "PyTorch");
        model.setBlock(network());
        model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 128));
        return model;
    }
}
