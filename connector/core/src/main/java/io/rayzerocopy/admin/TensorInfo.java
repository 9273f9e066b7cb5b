package io.rayzerocopy.admin;

import java.util.Arrays;
import java.util.Objects;

/** One tensor of a model or a weight store: name, element type, shape and size. Immutable. */
public final class TensorInfo {
    private final String name;
    private final String dtype;
    private final long[] shape;
    private final long bytes;

    TensorInfo(String name, String dtype, long[] shape, long bytes) {
        this.name = Objects.requireNonNull(name, "name");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.bytes = bytes;
    }

    /** The name as the model reports it, e.g. {@code network.0.weight}. */
    public String name() {
        return name;
    }

    /** The element type as safetensors codes it, e.g. {@code F32}. */
    public String dtype() {
        return dtype;
    }

    /** The dimensions (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    /** The shape as text, e.g. {@code [256, 128]}. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    /** Size in bytes. */
    public long bytes() {
        return bytes;
    }

    @Override
    public String toString() {
        return name + " " + dtype + shapeString();
    }
}
