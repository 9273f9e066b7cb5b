package io.rayzerocopy.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;

import io.rayzerocopy.BlockModel;

/**
 * The two MLPs of the throughput benchmarks, both taking 128 features and giving 10 scores: the
 * guide's small classifier and a compute-heavy one with about 127 times its multiply-adds per row.
 */
public enum ScoringModel {
    /** 128 → 256 → 10: 35,328 multiply-adds a row. */
    SMALL(256),
    /** 128 → 2048 → 2048 → 10: 4,476,928 multiply-adds a row. */
    HEAVY(2048, 2048);

    /** Features per row. */
    public static final int INPUTS = 128;

    /** Scores per row. */
    public static final int OUTPUTS = 10;

    private final int[] hidden;

    ScoringModel(int... hidden) {
        this.hidden = hidden;
    }

    /** A serializable factory of the uninitialized block, for {@link BlockModel#of}. */
    public BlockModel.Factory factory() {
        int[] units = hidden.clone();
        return () -> build(units);
    }

    /** The uninitialized block (what the factory makes). */
    SequentialBlock block() {
        return build(hidden);
    }

    /** A new model holding this block with random weights, on CPU. */
    public Model newTrained() {
        Engine.getEngine("PyTorch");
        Model model = Model.newInstance(name().toLowerCase(), Device.cpu(), "PyTorch");
        model.setBlock(build(hidden));
        model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, INPUTS));
        return model;
    }

    /** Multiply-adds of one row's forward pass. */
    public long macsPerRow() {
        long macs = 0;
        int in = INPUTS;
        for (int units : hidden) {
            macs += (long) in * units;
            in = units;
        }
        return macs + (long) in * OUTPUTS;
    }

    private static SequentialBlock build(int[] hidden) {
        SequentialBlock block = new SequentialBlock();
        for (int units : hidden) {
            block.add(Linear.builder().setUnits(units).build()).add(Activation::relu);
        }
        return block.add(Linear.builder().setUnits(OUTPUTS).build());
    }
}
