package io.rayzerocopy.admin;

import io.rayzerocopy.BlockModel;
import io.rayzerocopy.ModelSource;
import io.rayzerocopy.StoreException;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.internal.model.BlockExtractor;
import io.rayzerocopy.internal.model.MethodSignature;
import io.rayzerocopy.internal.model.ModelExtractor;
import io.rayzerocopy.internal.model.SafeTensors;
import io.rayzerocopy.internal.model.TorchScriptExtractor;
import io.rayzerocopy.internal.model.WeightStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What wrapping a model would put in the weight store, found without writing the store or starting
 * a job: its parameters (shared by every actor through the store), the size of the skeleton each
 * actor loads, the tensors that stay private to each actor, and the store's id. Immutable.
 *
 * <pre>{@code
 * ModelDescription d = ModelDescription.of(TorchScriptModel.fromFile(Path.of("model.pt")));
 * d.tensors().forEach(t -> System.out.println(t.name() + " " + t.dtype() + t.shapeString()));
 * }</pre>
 */
public final class ModelDescription {
    /** The skeleton's name in the store of a single TorchScript model. */
    private static final String SKELETON = "skeleton.pt";

    private final List<TensorInfo> tensors;
    private final long skeletonBytes;
    private final List<String> privateTensors;
    private final String storeId;
    private final String signature;

    private ModelDescription(
            List<TensorInfo> tensors,
            long skeletonBytes,
            List<String> privateTensors,
            String id,
            String signature) {
        this.tensors = List.copyOf(tensors);
        this.skeletonBytes = skeletonBytes;
        this.privateTensors = List.copyOf(privateTensors);
        this.storeId = id;
        this.signature = signature;
    }

    /**
     * Describes {@code model}, reading its files (a TorchScript model) or its parameters (a block
     * model); computing the store id reads every weight once.
     *
     * @throws UncheckedIOException if a file of the model cannot be read
     * @throws StoreException if the model is not one that can be shared, naming the reason
     */
    public static ModelDescription of(ModelSource model) {
        Objects.requireNonNull(model, "model");
        ModelExtractor extractor =
                model instanceof TorchScriptModel t
                        ? TorchScriptExtractor.of(t.file(), t.weights().orElse(null))
                        : new BlockExtractor(
                                ((BlockModel) model).factory(), ((BlockModel) model).trained());
        try (ModelExtractor.Extracted x = extractor.extract("", List.of())) {
            List<TensorInfo> tensors =
                    x.tensors().stream()
                            .map(
                                    t ->
                                            new TensorInfo(
                                                    t.name(),
                                                    SafeTensors.toCode(t.dataType()),
                                                    t.shape(),
                                                    t.byteSize()))
                            .toList();
            long skeleton = x.files().values().stream().mapToLong(b -> b.length).sum();
            Path dir =
                    WeightStore.at(WeightStores.local().root())
                            .directoryFor(x.tensors(), x.files());
            return new ModelDescription(
                    tensors,
                    skeleton,
                    x.privateTensors(),
                    dir.getFileName().toString(),
                    model instanceof TorchScriptModel ? forward(x.files()) : null);
        } catch (RuntimeException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model " + model + ": " + e.getMessage(), e);
        } catch (Exception e) {
            throw new StoreException("cannot read model " + model + ": " + e.getMessage(), e);
        }
    }

    /** {@code forward}'s signature as libtorch declares it, read from the weight-free skeleton. */
    private static String forward(Map<String, byte[]> files) throws IOException {
        byte[] skeleton = files.get(SKELETON);
        MethodSignature s = skeleton == null ? null : MethodSignature.ofFile(skeleton, "forward");
        if (s == null) {
            return null;
        }
        return s.method()
                + "("
                + String.join(", ", s.args().stream().map(MethodSignature.Arg::toString).toList())
                + ")";
    }

    /**
     * The arguments {@code forward} takes after {@code self}, e.g. {@code forward(Tensor x, Tensor?
     * mask=...)}: what a job's input columns feed, in order; empty for a Java block model or if
     * libtorch does not say.
     */
    public Optional<String> signature() {
        return Optional.ofNullable(signature);
    }

    /** The parameters, shared through the store, in store order. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** The parameters' total size in bytes: what the store shares. */
    public long parameterBytes() {
        return tensors.stream().mapToLong(TensorInfo::bytes).sum();
    }

    /**
     * Bytes of the skeleton each actor loads: code, structure, and tensors that are not parameters.
     */
    public long skeletonBytes() {
        return skeletonBytes;
    }

    /**
     * Tensors that are not parameters (e.g. BatchNorm statistics), which stay in each actor's
     * skeleton, as {@code attribute dtype[shape] bytes}.
     */
    public List<String> privateTensors() {
        return privateTensors;
    }

    /**
     * The id of the store wrapping this model makes ({@link WeightStores#describe(String)}; {@code
     * ModelWrapper.storeId()}), the same on every machine for the same weights.
     */
    public String storeId() {
        return storeId;
    }

    @Override
    public String toString() {
        return "ModelDescription["
                + tensors.size()
                + " tensors, "
                + parameterBytes()
                + " bytes, store "
                + storeId
                + "]";
    }
}
