package io.rayzerocopy.internal.model;

import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calls a loaded model with any number of tensors and reads its result as named tensors. A
 * TorchScript model's method is called through libtorch with one argument per tensor; its result
 * may be a Tensor ({@code "0"}), a tuple or list of tensors ({@code "0"}, {@code "1"}, ...), or a
 * {@code Dict[str, Tensor]} (its keys, in the dict's order). A DJL Java block gets the tensors as
 * one NDList and returns {@code "0"}, {@code "1"}, ...
 *
 * <p>Float inputs are cast to the type of the model's first floating-point parameter (a float64
 * column feeds a float32 model; a float16 model gets float16). A model with bfloat16 weights gets
 * float32, since DJL cannot make a bfloat16 tensor (see {@link TorchTypes}): its forward must cast
 * its input itself. Integer inputs are passed as they are.
 */
public final class ModelCall {
    /**
     * A call's result: the tensors by name, in the model's order, and whether the names are the
     * keys of a dict the model returned (else positions).
     */
    public record Outputs(Map<String, NDArray> tensors, boolean dict) {}

    private final Block block;
    private final String method;
    private final DataType floatInput;
    private final String firstWeight;
    private final boolean bfloat16Weights;

    private ModelCall(
            Block block,
            String method,
            DataType floatInput,
            String firstWeight,
            boolean bfloat16Weights) {
        this.block = block;
        this.method = method;
        this.floatInput = floatInput;
        this.firstWeight = firstWeight;
        this.bfloat16Weights = bfloat16Weights;
    }

    /** Calls of {@code model}'s forward. */
    public static ModelCall forward(Model model) {
        Block block = model.getBlock();
        DataType floatInput = null;
        String firstWeight = null;
        boolean bfloat16 = false;
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray array = p.getValue().getArray();
            DataType type = array.getDataType();
            if (firstWeight == null && array.getShape().dimension() >= 2) {
                firstWeight =
                        p.getKey()
                                + " is "
                                + TorchTypes.describe(array)
                                + (array.getShape().dimension() == 2
                                        ? " (as a linear layer: "
                                                + array.getShape().get(1)
                                                + " values per row)"
                                        : "");
            }
            if (floatInput == null && (type.isFloating() || !TorchTypes.named(type))) {
                bfloat16 = !TorchTypes.named(type);
                floatInput = bfloat16 ? DataType.FLOAT32 : type;
            }
        }
        return new ModelCall(block, "forward", floatInput, firstWeight, bfloat16);
    }

    /**
     * The method's signature (libtorch's own; see {@link MethodSignature}), or null if it is
     * unknown (a Java block has none).
     */
    public MethodSignature signature() {
        return block instanceof PtSymbolBlock torchScript
                ? MethodSignature.read(torchScript, method)
                : null;
    }

    /**
     * For messages about inputs that do not fit: the model's first weight matrix, and that a
     * bfloat16 model must cast its input; empty if there is nothing to say.
     */
    public String inputHint() {
        String hint = firstWeight == null ? "" : "the model's first weight " + firstWeight;
        if (bfloat16Weights) {
            hint +=
                    (hint.isEmpty() ? "" : "; ")
                            + "its weights are bfloat16 and it gets float32 input (DJL cannot make"
                            + " bfloat16 tensors): cast inside forward with x.to(torch.bfloat16)";
        }
        return hint;
    }

    /**
     * Runs the method on {@code inputs} (cast as the class comment says); the outputs belong to
     * {@code manager}.
     *
     * @throws EngineException if libtorch fails; the message is one line ending in libtorch's own
     *     cause
     */
    public Outputs run(List<NDArray> inputs, NDManager manager) {
        List<NDArray> cast = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            NDArray input = inputs.get(i);
            if (!TorchTypes.named(input.getDataType())) {
                throw new IllegalArgumentException(
                        "input "
                                + i
                                + " of "
                                + method
                                + " is a tensor of a type DJL cannot pass on (bfloat16?): give"
                                + " float32 and cast inside the model");
            }
            boolean recast =
                    floatInput != null
                            && input.getDataType().isFloating()
                            && input.getDataType() != floatInput;
            cast.add(recast ? input.toType(floatInput, false) : input);
        }
        try {
            if (!(block instanceof PtSymbolBlock torchScript)) {
                NDList out =
                        block.forward(new ParameterStore(manager, false), new NDList(cast), false);
                Map<String, NDArray> named = new LinkedHashMap<>();
                for (int i = 0; i < out.size(); i++) {
                    named.put(Integer.toString(i), out.get(i));
                }
                return new Outputs(named, false);
            }
            IValue[] args = new IValue[cast.size()];
            try {
                for (int i = 0; i < args.length; i++) {
                    args[i] = IValue.from((PtNDArray) cast.get(i));
                }
                try (IValue result = IValueUtils.runMethod(torchScript, method, args)) {
                    return named(result, (PtNDManager) manager);
                }
            } finally {
                for (IValue a : args) {
                    if (a != null) {
                        a.close();
                    }
                }
            }
        } catch (EngineException e) {
            throw new EngineException(method + " failed: " + cause(e), e);
        }
    }

    /**
     * libtorch's own cause of a failure, on one line: the last line of a TorchScript interpreter
     * error (e.g. {@code mat1 and mat2 shapes cannot be multiplied (256x64 and 128x256)}) without
     * its {@code RuntimeError: } prefix, rather than its first ("The following operation failed in
     * the TorchScript interpreter") or its traceback.
     */
    public static String cause(Throwable e) {
        List<String> lines =
                String.valueOf(e.getMessage()).lines().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) {
            return e.toString();
        }
        String last = lines.get(lines.size() - 1).strip();
        return last.matches("^[A-Za-z.]*(Error|Exception): .*")
                ? last.substring(last.indexOf(": ") + 2)
                : last;
    }

    private static Outputs named(IValue result, PtNDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        if (result.isTensor()) {
            out.put("0", result.toTensor(manager));
        } else if (result.isTensorList()) {
            PtNDArray[] items = result.toTensorArray(manager);
            for (int i = 0; i < items.length; i++) {
                out.put(Integer.toString(i), items[i]);
            }
        } else if (result.isTuple()) {
            IValue[] items = result.toIValueTuple();
            for (int i = 0; i < items.length; i++) {
                out.put(Integer.toString(i), tensor(items[i], manager, "element " + i));
            }
        } else if (result.isMap()) {
            for (Map.Entry<String, IValue> e : OrderedDict.entries(result).entrySet()) {
                out.put(e.getKey(), tensor(e.getValue(), manager, "value '" + e.getKey() + "'"));
            }
            return new Outputs(out, true);
        } else {
            throw new IllegalArgumentException(
                    "the model returned "
                            + result.getType()
                            + "; a scorer takes a Tensor, a tuple of Tensors or Dict[str, Tensor]");
        }
        return new Outputs(out, false);
    }

    private static NDArray tensor(IValue value, PtNDManager manager, String what) {
        try (value) {
            if (!value.isTensor()) {
                throw new IllegalArgumentException(
                        "the model's output "
                                + what
                                + " is "
                                + value.getType()
                                + ", not a Tensor: a scorer writes tensors only");
            }
            return value.toTensor(manager);
        }
    }

    /**
     * A dict's entries in the dict's own order. DJL's {@code IValue.toIValueMap()} puts them in a
     * ConcurrentHashMap, which loses the order the model built (and Python shows); the native call
     * behind it returns {@code [key0, value0, key1, ...]} in order, so it is called directly.
     */
    private static final class OrderedDict {
        private static final Object LIB;
        private static final Method TO_MAP;
        private static final Constructor<IValue> IVALUE;

        static {
            try {
                Class<?> library = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
                Field instance = library.getDeclaredField("LIB");
                instance.setAccessible(true);
                LIB = instance.get(null);
                TO_MAP = library.getDeclaredMethod("iValueToMap", long.class);
                TO_MAP.setAccessible(true);
                IVALUE = IValue.class.getDeclaredConstructor(long.class);
                IVALUE.setAccessible(true);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        static Map<String, IValue> entries(IValue dict) {
            try {
                long[] handles = (long[]) TO_MAP.invoke(LIB, dict.getHandle());
                List<IValue> all = new ArrayList<>();
                for (long handle : handles) {
                    all.add(IVALUE.newInstance(handle));
                }
                Map<String, IValue> out = new LinkedHashMap<>();
                for (int i = 0; i < handles.length; i += 2) {
                    try (IValue key = all.get(i)) {
                        if (!key.isString()) {
                            all.forEach(IValue::close);
                            throw new IllegalArgumentException(
                                    "the model returned a dict with "
                                            + key.getType()
                                            + " keys; a scorer takes Dict[str, Tensor]");
                        }
                        out.put(key.toStringValue(), all.get(i + 1));
                    }
                }
                return out;
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read a dict the model returned", e);
            }
        }
    }
}
