package io.rayzerocopy.internal.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
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

    /** The largest file used whole as a skeleton (a Java array's limit). */
    private static final long WHOLE_FILE_LIMIT = Integer.MAX_VALUE - 8;

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
        Path pt = dir == null ? null : ptFileIn(dir, model.getName());
        if (pt == null) {
            throw new IllegalArgumentException(
                    "cannot find the .pt file model '"
                            + model.getName()
                            + "' was loaded from (model"
                            + " path "
                            + dir
                            + "): pass TorchScriptModel.fromFile(path) instead");
        }
        return pt;
    }

    /**
     * The TorchScript file of a DJL model directory, found the way DJL finds it ({@code <name>.pt},
     * {@code <name>}, {@code model.pt}, else the directory's only {@code .pt}), or {@code null}:
     * lets a directory be shared without loading the model.
     */
    public static Path ptFileIn(Path dir, String name) {
        for (Path candidate :
                List.of(dir.resolve(name + ".pt"), dir.resolve(name), dir.resolve("model.pt"))) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> pts = s.filter(p -> p.toString().endsWith(".pt")).toList();
            return pts.size() == 1 ? pts.get(0) : null;
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public Extracted extract(String prefix, List<String> methodNames)
            throws IOException, MalformedModelException {
        // Named by the pipeline field alone, not the file: the store id depends on content only.
        String skeletonName = prefix.replace('/', '.') + "skeleton.pt";
        return weights == null
                ? extractArchive(prefix, methodNames, skeletonName)
                : extractWithWeights(prefix, methodNames, skeletonName);
    }

    /**
     * A whole TorchScript file, streamed: its structure is read from the archive, the parameters
     * are learned from a weight-free probe skeleton (or from the model already loaded), and each
     * parameter becomes a byte range of the file that the store copies without reading it into
     * memory. libtorch never loads the weights.
     */
    private Extracted extractArchive(String prefix, List<String> methodNames, String skeletonName)
            throws IOException {
        TorchScriptSkeletons.Archive archive = openArchive();
        Map<String, PtParam> params = new LinkedHashMap<>();
        List<String> methods = parameters(archive, methodNames, params);
        List<WeightStore.Tensor> tensors = new ArrayList<>();
        for (PtParam p : params.values()) {
            tensors.add(tensorOf(archive, prefix, p));
        }
        byte[] skeleton = checkedSkeleton(archive, params);
        return new Extracted(
                tensors,
                Map.of(skeletonName, skeleton),
                new TorchScriptSkeleton(skeletonName, methods, file.toString()),
                null,
                () -> TorchScriptSkeletons.privateTensors(archive, params.keySet()));
    }

    /**
     * The skeleton of a single TorchScript model whose store was written before: it loads {@code
     * skeleton.pt} from the store; {@code origin} names the model in messages.
     */
    public static Skeleton storedSkeleton(List<String> methods, String origin) {
        return new TorchScriptSkeleton("skeleton.pt", methods, origin);
    }

    /** A parameter as libtorch reports it: name, shape, and DJL's type (UNKNOWN for bf16). */
    private record PtParam(String name, long[] shape, DataType type, int itemSize) {
        static PtParam of(String name, NDArray array) {
            return new PtParam(
                    name,
                    array.getShape().getShape(),
                    array.getDataType(),
                    TorchTypes.itemSize((PtNDArray) array));
        }
    }

    private TorchScriptSkeletons.Archive openArchive() {
        TorchScriptSkeletons.Archive archive;
        try {
            archive = TorchScriptSkeletons.Archive.open(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (archive == null) {
            throw new IllegalArgumentException(
                    "cannot read the module tree (data.pkl) of TorchScript file "
                            + file
                            + ": save it with torch.jit.save from PyTorch 1.x or 2.x");
        }
        return archive;
    }

    /**
     * Fills {@code out} with the model's parameters and returns the methods to call: from the model
     * the caller loaded, else from a probe skeleton with every module attribute's storage cut,
     * which libtorch loads in milliseconds whatever the model's size.
     */
    private List<String> parameters(
            TorchScriptSkeletons.Archive archive,
            List<String> methodNames,
            Map<String, PtParam> out)
            throws IOException {
        if (djlModel != null) {
            return describe((PtSymbolBlock) djlModel.getBlock(), methodNames, out);
        }
        byte[] probe = TorchScriptSkeletons.strip(archive, archive.attributePaths());
        Path tmp = probe == null ? file : Files.createTempFile("rzc-probe", ".pt");
        try (Model model = Model.newInstance("rzc-probe", Device.cpu(), Djl.engineName())) {
            if (probe != null) {
                Files.write(tmp, probe);
            }
            PtSymbolBlock block;
            try {
                block = TorchTypes.loadForBinding(model, tmp);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(
                        "cannot load TorchScript file " + file + ": " + loadError(e), e);
            }
            return describe(block, methodNames, out);
        } finally {
            if (probe != null) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Fills {@code out} with the block's parameters; returns the methods to call. */
    private List<String> describe(
            PtSymbolBlock block, List<String> methodNames, Map<String, PtParam> out) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            out.put(p.getKey(), PtParam.of(p.getKey(), p.getValue().getArray()));
        }
        return checkMethods(block, methodNames);
    }

    /**
     * The parameter as a byte range of the file: its storage record must be stored (TorchScript
     * never compresses them), hold the tensor contiguously, and lie inside the file.
     */
    private WeightStore.Tensor tensorOf(
            TorchScriptSkeletons.Archive archive, String prefix, PtParam p) {
        TorchScriptPickle.Site site = archive.siteAt(p.name());
        if (site == null || !site.contiguous()) {
            throw new IllegalArgumentException(
                    "parameter '"
                            + p.name()
                            + "' of "
                            + file
                            + (site == null
                                    ? " is not a module attribute of the archive"
                                    : " is a non-contiguous view of its storage")
                            + ": save the model with contiguous parameters"
                            + " (p.data = p.data.contiguous())");
        }
        DataType type = TorchTypes.ofStorage(site.storageType());
        if (type == null
                || !Arrays.equals(
                        p.shape(), site.sizes().stream().mapToLong(Long::longValue).toArray())
                || (p.type() != DataType.UNKNOWN && p.type() != type)
                || p.itemSize() != type.getNumOfBytes()) {
            throw new IllegalArgumentException(
                    "parameter '"
                            + p.name()
                            + "' of "
                            + file
                            + " is "
                            + site
                            + " in the archive but libtorch loads it as "
                            + p.type()
                            + Arrays.toString(p.shape())
                            + "; supported types: float32, float64, float16, bfloat16, int8,"
                            + " int16, int32, int64, uint8, bool");
        }
        ZipRecords.Record r = archive.record(site);
        long end = site.byteOffset() + site.byteLength();
        if (r == null || r.method() != ZipRecords.STORED || end > r.size()) {
            throw new IllegalArgumentException(
                    "TorchScript file "
                            + file
                            + " ("
                            + archive.zip.fileSize()
                            + " bytes) is corrupt: parameter '"
                            + p.name()
                            + "' "
                            + site
                            + " needs bytes "
                            + site.byteOffset()
                            + " to "
                            + end
                            + " of record "
                            + archive.dataPrefix()
                            + site.key()
                            + (r == null
                                    ? ", which is missing"
                                    : r.method() != ZipRecords.STORED
                                            ? ", which is compressed"
                                            : ", which has " + r.size() + " bytes")
                            + "; save the model again");
        }
        return new WeightStore.Tensor(
                prefix + p.name(),
                type,
                p.shape(),
                TensorBytes.ofFile(file, r.dataOffset() + site.byteOffset(), site.byteLength()));
    }

    /**
     * Strips the parameters out of the archive, then loads the result to make sure it has the same
     * parameters and that every other tensor (buffer) kept its values: libtorch writes the loaded
     * skeleton back and its buffers are compared with the file's. Falls back to the whole file
     * (correct, only larger) if anything differs and the file fits in memory.
     */
    private byte[] checkedSkeleton(
            TorchScriptSkeletons.Archive archive, Map<String, PtParam> params) throws IOException {
        byte[] skeleton = TorchScriptSkeletons.strip(archive, params.keySet());
        if (skeleton == null) {
            return wholeFile(
                    params.isEmpty()
                            ? null
                            : "the parameters cannot be told apart from other tensors");
        }
        Path tmp = Files.createTempFile("rzc-skeleton", ".pt");
        Path loadedBack = Files.createTempFile("rzc-skeleton-loaded", ".pt");
        try (Model probe =
                Model.newInstance("rzc-skeleton-check", Device.cpu(), Djl.engineName())) {
            Files.write(tmp, skeleton);
            TorchTypes.loadForBinding(probe, tmp);
            Map<String, List<Long>> shapes = new LinkedHashMap<>();
            for (Pair<String, Parameter> p : probe.getBlock().getParameters()) {
                shapes.put(
                        p.getKey(),
                        Arrays.stream(p.getValue().getArray().getShape().getShape())
                                .boxed()
                                .toList());
            }
            Map<String, List<Long>> expected = new LinkedHashMap<>();
            params.forEach((k, v) -> expected.put(k, Arrays.stream(v.shape()).boxed().toList()));
            if (!shapes.equals(expected)) {
                throw new IllegalStateException(
                        "parameters " + shapes + " differ from " + expected);
            }
            try (OutputStream out = Files.newOutputStream(loadedBack)) {
                JniUtils.writeModule((PtSymbolBlock) probe.getBlock(), out, false);
            }
            List<String> changed =
                    TorchScriptSkeletons.changedBuffers(archive, loadedBack, params.keySet());
            if (!changed.isEmpty()) {
                throw new IllegalStateException("buffers changed: " + changed);
            }
            LOG.debug(
                    "skeleton of {}: {} bytes (file: {} bytes)",
                    file,
                    skeleton.length,
                    archive.zip.fileSize());
            return skeleton;
        } catch (IOException | RuntimeException e) {
            return wholeFile("the weight-free skeleton did not load back (" + e + ")");
        } finally {
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(loadedBack);
        }
    }

    /** The whole file as the skeleton (every actor then loads it, and binds its parameters). */
    private byte[] wholeFile(String why) throws IOException {
        long size = Files.size(file);
        if (why != null && size > WHOLE_FILE_LIMIT) {
            throw new IllegalArgumentException(
                    "cannot share TorchScript file "
                            + file
                            + " ("
                            + size
                            + " bytes): "
                            + why
                            + ", and every actor would have to load the whole file");
        }
        if (why != null) {
            LOG.warn("{}: {}; actors will load the whole file ({} bytes)", file, why, size);
        }
        return Files.readAllBytes(file);
    }

    /**
     * A weight-free skeleton and its safetensors weights: the skeleton (small) is loaded to check
     * that the weights fit it; the weights are byte ranges of their file.
     */
    private Extracted extractWithWeights(
            String prefix, List<String> methodNames, String skeletonName)
            throws IOException, MalformedModelException {
        if (Files.size(file) > WHOLE_FILE_LIMIT) {
            throw new IllegalArgumentException(
                    "skeleton "
                            + file
                            + " has "
                            + Files.size(file)
                            + " bytes: give a weight-free skeleton with --weights, or the whole"
                            + " TorchScript file without --weights");
        }
        byte[] pt = Files.readAllBytes(file);
        try (Model loaded = Model.newInstance("rzc-extract", Device.cpu(), Djl.engineName())) {
            try {
                loaded.load(file);
            } catch (IOException | MalformedModelException | RuntimeException e) {
                throw new IllegalArgumentException(
                        "cannot load TorchScript file " + file + ": " + e.getMessage(), e);
            }
            PtSymbolBlock block = (PtSymbolBlock) loaded.getBlock();
            List<String> methods = checkMethods(block, methodNames);
            List<WeightStore.Tensor> tensors = weightsFor(block, prefix);
            return new Extracted(
                    tensors,
                    Map.of(skeletonName, pt),
                    new TorchScriptSkeleton(skeletonName, methods, file.toString()),
                    null,
                    List::of);
        }
    }

    /** The safetensors entries, checked one for one against the skeleton's parameters. */
    private List<WeightStore.Tensor> weightsFor(PtSymbolBlock block, String prefix)
            throws IOException {
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            params.put(p.getKey(), p.getValue().getArray());
        }
        List<WeightStore.Tensor> tensors = new ArrayList<>();
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
                            e.bytes()));
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
        return tensors;
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

    /**
     * libtorch's load error in one line: its first line ({@code Unknown type name 'X':}; the
     * message starts with a blank one) and the source position it names, if any.
     */
    private static String loadError(RuntimeException e) {
        List<String> lines =
                String.valueOf(e.getMessage())
                        .lines()
                        .map(String::strip)
                        .filter(l -> !l.isEmpty())
                        .toList();
        if (lines.isEmpty()) {
            return e.toString();
        }
        String position =
                lines.stream().filter(l -> l.startsWith("File \"")).findFirst().orElse("");
        return position.isEmpty() ? lines.get(0) : lines.get(0) + " " + position;
    }
}
