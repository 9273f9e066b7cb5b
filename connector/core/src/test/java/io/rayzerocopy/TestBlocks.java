package io.rayzerocopy;

import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;

/** Java DJL blocks for tests. */
public final class TestBlocks {
    /** Input features of {@link #classifier()}. */
    public static final int INPUTS = 128;

    private TestBlocks() {}

    /**
     * The guide's SimpleClassifier, Linear(128, 256) → ReLU → Linear(256, 10), uninitialized (a
     * serializable factory: {@code TestBlocks::classifier}).
     */
    public static SequentialBlock classifier() {
        return mlp(256, 10);
    }

    /** An MLP {@code → hidden → out} with ReLU, uninitialized; its input width comes at init. */
    public static SequentialBlock mlp(int hidden, int out) {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(hidden).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(out).build());
    }
}
