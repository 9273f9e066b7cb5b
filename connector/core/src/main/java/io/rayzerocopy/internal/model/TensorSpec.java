package io.rayzerocopy.internal.model;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where one tensor lives in a {@link WeightStore}: its name, element type, shape, and its byte
 * range in one shard. Immutable.
 */
public final class TensorSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final String dtype;
    private final long[] shape;
    private final int shard;
    private final long offset;
    private final long length;

    TensorSpec(String name, String dtype, long[] shape, int shard, long offset, long length) {
        this.name = Objects.requireNonNull(name, "name");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.shard = shard;
        this.offset = offset;
        this.length = length;
    }

    /** The tensor's name as the model reports it (e.g. {@code network.0.weight}). */
    public String name() {
        return name;
    }

    /** The safetensors dtype code, e.g. {@code F32}. */
    public String dtype() {
        return dtype;
    }

    /** The DJL data type of this tensor. */
    public DataType dataType() {
        return SafeTensors.toDataType(dtype);
    }

    /** The shape. */
    public Shape shape() {
        return new Shape(shape);
    }

    long[] dims() {
        return shape.clone();
    }

    /** Index of the shard file holding the tensor. */
    public int shard() {
        return shard;
    }

    /** Byte offset of the tensor inside its shard file. */
    public long offset() {
        return offset;
    }

    /** Size in bytes. */
    public long byteSize() {
        return length;
    }

    /** Shape and dtype for messages, e.g. {@code F32[256, 128]}. */
    public String describe() {
        return dtype + Arrays.toString(shape);
    }

    @Override
    public String toString() {
        return name + " " + describe();
    }
}
