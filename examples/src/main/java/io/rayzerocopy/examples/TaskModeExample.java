package io.rayzerocopy.examples;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import io.rayzerocopy.BlockModel;
import io.rayzerocopy.ModelWrapper;

import java.util.Arrays;

/**
 * The guide's task mode: the wrapper itself is callable; each call runs as a task on a pooled
 * worker.
 */
public final class TaskModeExample {
    private TaskModeExample() {}

    /** Runs one call; returns {input, the task's output, the model's own output} for checking. */
    public static float[][] run() {
        try (Model model = SimpleClassifier.create();
                ModelWrapper<Model> wrapped =
                        ModelWrapper.forTasks(BlockModel.of(SimpleClassifier::network, model));
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(1, 128));
            NDList result = wrapped.call(new NDList(x)); // result = wrapped(torch.randn(1, 128))
            float[] input = x.toFloatArray();
            return new float[][] {
                input,
                result.singletonOrThrow().toFloatArray(),
                SimpleClassifier.forward(model, input)
            };
        }
    }

    public static void main(String[] args) {
        float[][] io = run();
        System.out.println("logits: " + Arrays.toString(io[1]));
    }
}
