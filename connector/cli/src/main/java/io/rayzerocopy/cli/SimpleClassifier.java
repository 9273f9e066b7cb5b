package io.rayzerocopy.cli;

import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;

/**
 * The seed guide's SimpleClassifier written with DJL blocks: Linear(128, 256) → ReLU → Linear(256,
 * 10).
 */
public final class SimpleClassifier {
    /** Input features. */
    public static final int INPUTS = 128;

    /** Output classes. */
    public static final int CLASSES = 10;

    private SimpleClassifier() {}

    /** A new, uninitialized block (a serializable factory: {@code SimpleClassifier::build}). */
    public static SequentialBlock build() {
        return build(INPUTS, 256, CLASSES);
    }

    /** An MLP {@code in → hidden → out} with ReLU, uninitialized. */
    public static SequentialBlock build(int in, int hidden, int out) {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(hidden).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(out).build());
    }
}
