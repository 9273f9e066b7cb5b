package io.rayzerocopy.internal.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The tensor types DJL 0.36's PyTorch engine can and cannot name, and the calls that are safe for
 * both; every other class goes through here for tensors of a type DJL cannot name.
 *
 * <p>DJL's native {@code GetScalarTypeFromDType} (djl_pytorch_utils.h) maps only the data types
 * FLOAT32 to COMPLEX64 (ordinals 0..8) to torch types and ends in a bare {@code throw;} for any
 * other, which terminates the JVM. So {@code DataType.BFLOAT16} (or INT16, UNKNOWN) must never
 * reach a DJL call that takes a data type: {@code NDManager.create(buffer, shape, BFLOAT16)},
 * {@code toType(BFLOAT16)}, or {@code zerosLike()} of a bfloat16 array (which passes its UNKNOWN
 * type). The other direction is safe: DJL reports such tensors as {@code UNKNOWN}, and calls that
 * take no data type work on them ({@code getShape}, {@code toByteBuffer(true)}, {@code
 * JniUtils.set}, forward, {@code toType(FLOAT32)}). Re-check all of this when DJL is upgraded.
 */
public final class TorchTypes {
    private static final Set<DataType> NAMED =
            EnumSet.of(
                    DataType.FLOAT32,
                    DataType.FLOAT64,
                    DataType.FLOAT16,
                    DataType.UINT8,
                    DataType.INT32,
                    DataType.INT8,
                    DataType.INT64,
                    DataType.BOOLEAN,
                    DataType.COMPLEX64);

    /** The storage classes of a TorchScript archive and the element type of each. */
    private static final Map<String, DataType> STORAGES =
            Map.of(
                    "FloatStorage", DataType.FLOAT32,
                    "DoubleStorage", DataType.FLOAT64,
                    "HalfStorage", DataType.FLOAT16,
                    "BFloat16Storage", DataType.BFLOAT16,
                    "LongStorage", DataType.INT64,
                    "IntStorage", DataType.INT32,
                    "ShortStorage", DataType.INT16,
                    "CharStorage", DataType.INT8,
                    "ByteStorage", DataType.UINT8,
                    "BoolStorage", DataType.BOOLEAN);

    private TorchTypes() {}

    /** Whether DJL's PyTorch engine can take {@code type} in a native call. */
    public static boolean named(DataType type) {
        return NAMED.contains(type);
    }

    /**
     * The type of a tensor whose archive storage class is {@code storageType} (e.g. {@code
     * BFloat16Storage}); null if it is none we store. For a type DJL cannot name ({@link #named}),
     * only for bookkeeping (store manifest, byte sizes): never pass it to DJL.
     */
    static DataType ofStorage(String storageType) {
        return storageType == null ? null : STORAGES.get(storageType);
    }

    /**
     * Loads a TorchScript file so that its parameters can be re-pointed with {@code set_}. It is
     * loaded with trainParam, since libtorch otherwise makes the parameters inference tensors,
     * which {@code set_} refuses; but not through {@code Model.load(path, null, {trainParam:
     * true})}, which then calls {@code requires_grad_(true)} on every parameter and fails for
     * integer ones ("Only Tensors of floating point and complex dtype can require gradients"). The
     * caller freezes the parameters once they are bound.
     */
    static PtSymbolBlock loadForBinding(Model model, Path pt) {
        PtSymbolBlock block =
                JniUtils.loadModule(
                        (PtNDManager) model.getNDManager(),
                        pt,
                        false,
                        new String[0],
                        new String[0],
                        true);
        model.setBlock(block);
        return block;
    }

    /**
     * Whether {@code param} has the element type {@code stored}: equal types, or, for a parameter
     * DJL reports as UNKNOWN, a stored type DJL cannot name either with the same element size (the
     * driver took the exact type from the archive or the safetensors file).
     */
    static boolean holds(NDArray param, DataType stored) {
        DataType type = param.getDataType();
        if (type != DataType.UNKNOWN) {
            return type == stored;
        }
        return !named(stored)
                && param instanceof PtNDArray pt
                && itemSize(pt) == stored.getNumOfBytes();
    }

    /** A parameter's type for messages: DJL's name, or {@code UNKNOWN} for one it cannot name. */
    static String describe(NDArray param) {
        DataType type = param.getDataType();
        return (named(type) ? SafeTensors.toCode(type) : type.name())
                + Arrays.toString(param.getShape().getShape());
    }

    /**
     * Re-points {@code param} (of any type) at {@code direct} without copying: {@code tensor.set_}
     * over the buffer's address with the tensor's own type and shape. {@code PtNDArray.set} would
     * first check the buffer against {@code getDataType()}, which is UNKNOWN for bfloat16. The
     * caller keeps the mapping alive.
     *
     * @throws IllegalArgumentException if the buffer is not direct (it would be copied) or its size
     *     is not the tensor's
     */
    static void bind(PtNDArray param, ByteBuffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("a heap buffer would be copied: bind a mapping");
        }
        long expected = param.size() * itemSize(param);
        // A tensor past 2 GB comes as a buffer of its first 2^31-1 bytes (MappedStore#tensor).
        if (param.size() != 0 && direct.remaining() != Math.min(expected, Integer.MAX_VALUE)) {
            throw new IllegalArgumentException(
                    direct.remaining()
                            + " bytes given for a tensor of "
                            + expected
                            + " bytes ("
                            + describe(param)
                            + ")");
        }
        JniUtils.set(param, direct);
    }

    /**
     * Bytes per element of any tensor, without passing a type to native code and without
     * materializing a stride-0 skeleton parameter: the size of its first element; 0 if it has none.
     */
    static int itemSize(PtNDArray array) {
        if (array.size() == 0) {
            return 0;
        }
        if (array.getShape().dimension() == 0) {
            return array.toByteBuffer(true).remaining();
        }
        long[] first = new long[array.getShape().dimension()];
        try (PtNDArray element = JniUtils.getItem(array, first, array.getManager())) {
            return element.toByteBuffer(true).remaining();
        }
    }
}
