package io.rayzerocopy.internal.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;

import io.rayzerocopy.StoreException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Shares a TorchScript model: a {@code .pt} file, or a weight-free skeleton {@code .pt} plus its
 * weights in a safetensors file. Its parameters go to the weight store; actors load a weight-free
 * skeleton (a few KB, made from the file by {@link TorchScriptSkeletons}) and re-point every
 * parameter at the mapping with {@code tensor.set_}, so a load costs milliseconds and no private
 * copy of the weights.
 *
 * <p>Module buffers that are not parameters (e.g. BatchNorm running statistics) cannot be reached
 * through DJL; they stay in the skeleton and so are private to each actor (see docs/guide.md).
 */
public final class TorchScriptExtractor implements ModelExtractor {
    private static final Logger LOG = LoggerFactory.getLogger(TorchScriptExtractor.class);
    private final Path file;
    private final Path weights;
    private final Model djlModel;

    private TorchScriptExtractor(Path file, Path weights, Model djlModel) {
        this.file = file;
        this.weights = weights;
        this.djlModel = djlModel;
    }

    /**
     * A TorchScript file, or (when {@code weights} is not null) a weight-free skeleton plus its
     * weights as safetensors. The caller has checked that the files exist.
     */
    public static TorchScriptExtractor of(Path file, Path weights) {
        return new TorchScriptExtractor(file, weights, null);
    }

    @Override
    public List<Path> sourceFiles() {
        return weights == null ? List.of(file) : List.of(file, weights);
    }

    /** A DJL model holding a TorchScript block loaded from a {@code .pt} file. */
    public static TorchScriptExtractor fromDjlModel(Model model) {
        if (!(model.getBlock() instanceof PtSymbolBlock)) {
            throw new IllegalArgumentException(
                    "model '"
                            + model.getName()
                            + "' holds a "
                            + (model.getBlock() == null
                                    ? "null block"
                                    : model.getBlock().getClass().getName())
                            + ", not a TorchScript block: wrap Java blocks with"
                            + " BlockModel.of(factory, model) so actors can rebuild them");
        }
        return new TorchScriptExtractor(findPtFile(model), null, model);
    }

    private static Path findPtFile(Model model) {
        Path dir = model.getModelPath();
        if (dir != null) {
            for (Path candidate :
                    List.of(
                            dir.resolve(model.getName() + ".pt"),
                            dir.resolve(model.getName()),
                            dir.resolve("model.pt"))) {
                if (Files.isRegularFile(candidate)) {
                    return candidate;
                }
            }
            try (Stream<Path> s = Files.list(dir)) {
                List<Path> pts = s.filter(p -> p.toString().endsWith(".pt")).toList();
                if (pts.size() == 1) {
                    return pts.get(0);
                }
            } catch (IOException ignored) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException(
                "cannot find the .pt file model '"
                        + model.getName()
                        + "' was loaded from (model"
                        + " path "
                        + dir
                        + "): pass TorchScriptModel.fromFile(path) instead");
    }

    @Override
    public Extracted extract(String prefix, List<String> methodNames)
            throws IOException, MalformedModelException {
        byte[] pt = Files.readAllBytes(file);
        String skeletonName =
                prefix.replace('/', '.')
                        + file.getFileName().toString().replaceAll("[^A-Za-z0-9_.-]", "_");
        if (!skeletonName.endsWith(".pt")) {
            skeletonName += ".pt";
        }
        Model loaded = djlModel;
        boolean ownsModel = false;
        if (loaded == null) {
            loaded = Model.newInstance("rzc-extract", Device.cpu(), Djl.engineName());
            ownsModel = true;
            try {
                loaded.load(file);
            } catch (IOException | MalformedModelException | RuntimeException e) {
                loaded.close();
                throw new IllegalArgumentException(
                        "cannot load TorchScript file " + file + ": " + e.getMessage(), e);
            }
        }
        try {
            PtSymbolBlock block = (PtSymbolBlock) loaded.getBlock();
            List<String> methods = checkMethods(block, methodNames);
            List<WeightStore.Tensor> tensors = new ArrayList<>();
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            byte[] skeleton;
            if (weights == null) {
                Map<String, String> storageTypes = null;
                for (Pair<String, Parameter> p : block.getParameters()) {
                    NDArray array = p.getValue().getArray();
                    // toByteBuffer(true) passes no type to native code: safe for bfloat16 too.
                    ByteBuffer data = array.toByteBuffer(true);
                    DataType type = array.getDataType();
                    if (!TorchTypes.named(type)) {
                        if (storageTypes == null) {
                            storageTypes = TorchScriptSkeletons.storageTypes(file);
                        }
                        type = unnamedType(p.getKey(), storageTypes);
                    }
                    arrays.put(p.getKey(), array);
                    tensors.add(
                            new WeightStore.Tensor(
                                    prefix + p.getKey(), type, array.getShape().getShape(), data));
                }
                skeleton = checkedSkeleton(pt, arrays, parameters(prefix, tensors));
            } else {
                Map<String, NDArray> params = new LinkedHashMap<>();
                for (Pair<String, Parameter> p : block.getParameters()) {
                    params.put(p.getKey(), p.getValue().getArray());
                }
                for (SafeTensors.Entry e : SafeTensors.read(weights)) {
                    NDArray param = params.remove(e.name());
                    if (param == null) {
                        throw new IllegalArgumentException(
                                "weights file "
                                        + weights
                                        + " has tensor '"
                                        + e.name()
                                        + "' but skeleton "
                                        + file
                                        + " has no such parameter (it has "
                                        + paramNames(block)
                                        + ")");
                    }
                    if (!TorchTypes.holds(param, SafeTensors.toDataType(e.dtype()))
                            || !Arrays.equals(param.getShape().getShape(), e.shape())) {
                        throw new IllegalArgumentException(
                                "weights file "
                                        + weights
                                        + " has '"
                                        + e.name()
                                        + "' as "
                                        + e.dtype()
                                        + Arrays.toString(e.shape())
                                        + " but skeleton "
                                        + file
                                        + " declares it as "
                                        + TorchTypes.describe(param));
                    }
                    tensors.add(
                            new WeightStore.Tensor(
                                    prefix + e.name(),
                                    SafeTensors.toDataType(e.dtype()),
                                    e.shape(),
                                    e.data()));
                }
                if (!params.isEmpty()) {
                    throw new IllegalArgumentException(
                            "weights file "
                                    + weights
                                    + " lacks parameters "
                                    + params.keySet()
                                    + " of skeleton "
                                    + file);
                }
                skeleton = pt;
            }
            Map<String, byte[]> files = Map.of(skeletonName, skeleton);
            Extracted out =
                    new Extracted(
                            tensors,
                            files,
                            new TorchScriptSkeleton(skeletonName, methods, file.toString()),
                            ownsModel ? loaded : null,
                            () ->
                                    TorchScriptSkeletons.privateTensors(
                                            file, parameters(prefix, tensors)));
            ownsModel = false;
            return out;
        } finally {
            if (ownsModel) {
                loaded.close();
            }
        }
    }

    /**
     * Strips the weights out of {@code pt}, then loads the result to make sure it has the same
     * parameters and that every other tensor (buffer) kept its values: libtorch writes the loaded
     * skeleton back and its buffers are compared with the file's. Falls back to the whole file
     * (correct, only larger) if anything differs.
     */
    private byte[] checkedSkeleton(
            byte[] pt, Map<String, NDArray> params, Map<String, ByteBuffer> parameters)
            throws IOException {
        byte[] skeleton;
        try {
            skeleton = TorchScriptSkeletons.strip(file, pt, parameters);
        } catch (RuntimeException e) {
            LOG.warn(
                    "could not read {} as a TorchScript archive ({}); actors will load the whole"
                            + " file",
                    file,
                    e.toString());
            return pt;
        }
        if (skeleton.length >= pt.length) {
            if (skeleton == pt && !params.isEmpty()) {
                LOG.warn(
                        "could not strip the weights out of {}: actors will load the whole file ({}"
                                + " bytes)",
                        file,
                        pt.length);
            }
            return pt;
        }
        Path tmp = Files.createTempFile("rzc-skeleton", ".pt");
        Path loadedBack = Files.createTempFile("rzc-skeleton-loaded", ".pt");
        try (Model probe =
                Model.newInstance("rzc-skeleton-check", Device.cpu(), Djl.engineName())) {
            Files.write(tmp, skeleton);
            TorchTypes.loadForBinding(probe, tmp);
            Map<String, Shape> shapes = new LinkedHashMap<>();
            for (Pair<String, Parameter> p : probe.getBlock().getParameters()) {
                shapes.put(p.getKey(), p.getValue().getArray().getShape());
            }
            Map<String, Shape> expected = new LinkedHashMap<>();
            params.forEach((k, v) -> expected.put(k, v.getShape()));
            if (!shapes.equals(expected)) {
                throw new IllegalStateException(
                        "parameters " + shapes + " differ from " + expected);
            }
            try (OutputStream out = Files.newOutputStream(loadedBack)) {
                JniUtils.writeModule((PtSymbolBlock) probe.getBlock(), out, false);
            }
            List<String> changed =
                    TorchScriptSkeletons.changedBuffers(file, loadedBack, parameters.keySet());
            if (!changed.isEmpty()) {
                throw new IllegalStateException("buffers changed: " + changed);
            }
            LOG.debug(
                    "skeleton of {}: {} bytes (file: {} bytes)", file, skeleton.length, pt.length);
            return skeleton;
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "the weight-free skeleton of {} did not load back ({}); actors will load the"
                            + " whole file",
                    file,
                    e.toString());
            return pt;
        } finally {
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(loadedBack);
        }
    }

    /**
     * The type of a parameter DJL cannot name (reported as UNKNOWN), from the storage class the
     * archive gives the tensor at the parameter's path.
     */
    private DataType unnamedType(String name, Map<String, String> storageTypes) {
        String storage = storageTypes.get(name);
        DataType type = TorchTypes.ofUnnamedStorage(storage);
        if (type == null) {
            throw new IllegalArgumentException(
                    "parameter '"
                            + name
                            + "' of "
                            + file
                            + " has a tensor type DJL cannot name ("
                            + (storage == null ? "not found in the archive" : storage)
                            + "); supported: float32, float64, float16, bfloat16, int8, int16,"
                            + " int32, int64, uint8, bool: convert it before saving the model");
        }
        return type;
    }

    /** The parameters' bytes by their names in the model (without the pipeline prefix). */
    private static Map<String, ByteBuffer> parameters(
            String prefix, List<WeightStore.Tensor> tensors) {
        Map<String, ByteBuffer> out = new LinkedHashMap<>();
        for (WeightStore.Tensor t : tensors) {
            out.put(t.name().substring(prefix.length()), t.data());
        }
        return out;
    }

    private static List<String> paramNames(PtSymbolBlock block) {
        return new ArrayList<>(block.getParameters().keys());
    }

    private List<String> checkMethods(PtSymbolBlock block, List<String> requested) {
        if (requested.isEmpty()) {
            return List.of("forward");
        }
        Set<String> available = new HashSet<>(Arrays.asList(JniUtils.getMethodNames(block)));
        for (String m : requested) {
            if (!available.contains(m)) {
                throw new IllegalArgumentException(
                        "methodNames: TorchScript file "
                                + file
                                + " has no method '"
                                + m
                                + "'; it has "
                                + available);
            }
        }
        return List.copyOf(requested);
    }

    /** Loads the skeleton from the store and re-points its parameters at the mapping. */
    static final class TorchScriptSkeleton implements Skeleton {
        private static final long serialVersionUID = 1L;
        private final String fileName;
        private final List<String> methods;
        private final String origin;

        TorchScriptSkeleton(String fileName, List<String> methods, String origin) {
            this.fileName = fileName;
            this.methods = List.copyOf(methods);
            this.origin = origin;
        }

        @Override
        public Model bind(MappedStore store, String prefix, Device device, String name) {
            Path skeleton = store.file(fileName);
            if (!Files.isRegularFile(skeleton)) {
                throw new StoreException(
                        "weight store "
                                + store.directory()
                                + " lacks the skeleton "
                                + skeleton
                                + ": the store was changed after it was written; rebuild the"
                                + " wrapper");
            }
            Model model = Model.newInstance(name, device, Djl.engineName());
            SkeletonPool.Lease lease;
            try {
                lease = SkeletonPool.take(skeleton, device);
            } catch (EngineException e) {
                model.close();
                // libtorch's message first, then its C++ backtrace.
                throw new StoreException(
                        "skeleton "
                                + skeleton
                                + " is not a valid TorchScript file: "
                                + String.valueOf(e.getMessage()).lines().findFirst().orElse(""),
                        e);
            }
            PtSymbolBlock block = lease.block();
            model.setBlock(block);
            try {
                String what = "TorchScript skeleton of " + origin;
                Set<String> used = new HashSet<>();
                for (Pair<String, Parameter> p : block.getParameters()) {
                    PtNDArray array = (PtNDArray) p.getValue().getArray();
                    TensorSpec spec = Binding.specFor(store, prefix, p.getKey(), array, what);
                    TorchTypes.bind(array, store.tensor(spec));
                    used.add(spec.name());
                }
                Binding.checkAllUsed(store, prefix, used, what);
                block.freezeParameters(true);
                Binding.keepAlive(model.getNDManager(), store);
                // Closing the model gives the loaded skeleton back for this process's next load.
                model.getNDManager().attachInternal("rzc-skeleton-" + UUID.randomUUID(), lease);
                return model;
            } catch (RuntimeException e) {
                lease.discard();
                model.close();
                throw e;
            }
        }

        @Override
        public List<String> methodNames() {
            return methods;
        }
    }
}
