package io.rayzerocopy.examples;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;

import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;

/**
 * The guide's device placement: load on CPU (zero-copy); on a GPU machine, load onto the GPU
 * instead.
 */
public final class DevicePlacementExample {
    private DevicePlacementExample() {}

    /** Returns the device the actor's model ended up on. */
    public static Device run() {
        try (Model source = SimpleClassifier.create();
                ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(
                                BlockModel.of(SimpleClassifier::network, source), Mode.ACTOR)) {
            Model model = wrapper.load(); // loaded on CPU, zero-copy
            if (Engine.getEngine("PyTorch").getGpuCount() > 0) {
                model.close();
                model = wrapper.load(Device.gpu()); // weights copied to the GPU
            }
            try (Model m = model) {
                return m.getBlock().getParameters().get(0).getValue().getArray().getDevice();
            }
        }
    }

    public static void main(String[] args) {
        System.out.println("model on " + run());
    }
}
