package io.rayzerocopy;

import io.rayzerocopy.internal.model.TorchScriptExtractor;
import io.rayzerocopy.internal.storage.RemoteModels;
import io.rayzerocopy.internal.storage.Storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A TorchScript model on disk: a {@code .pt} file saved with {@code torch.jit.save}, or a
 * weight-free skeleton plus its weights as safetensors. Wrapping it puts its parameters in the
 * weight store; each actor then loads a weight-free skeleton of a few KB and points every parameter
 * at the shared mapping, so a load takes milliseconds and no private copy of the weights.
 *
 * <pre>{@code
 * ModelWrapper<Model> wrapper = ModelWrapper.fromModel(TorchScriptModel.fromFile(path), Mode.ACTOR);
 * }</pre>
 *
 * <p>A model on a Hadoop file system ({@link #fromUri}: {@code hdfs://}, {@code s3a://}) is fetched
 * once per machine when it is wrapped: while its weight store is on this machine (another job or
 * process uses it), wrapping it again reads nothing of the file (see docs/storage.md).
 *
 * <p>Module buffers that are not parameters (e.g. BatchNorm running statistics) stay in the
 * skeleton and so are private to each actor; {@code rzc inspect} lists them. Immutable.
 */
public final class TorchScriptModel implements ModelSource {
    private final Path file;
    private final Path weights;
    private final String uri;
    private final String weightsUri;

    private TorchScriptModel(Path file, Path weights, String uri, String weightsUri) {
        this.file = file;
        this.weights = weights;
        this.uri = uri;
        this.weightsUri = weightsUri;
    }

    /** A TorchScript {@code .pt} file (saved with {@code torch.jit.save}). */
    public static TorchScriptModel fromFile(Path ptFile) {
        requireFile(ptFile, "TorchScript file");
        return new TorchScriptModel(ptFile, null, null, null);
    }

    /**
     * A weight-free TorchScript skeleton plus the weights it was made from, as safetensors (tensor
     * names as in {@code module.named_parameters()}); see tools/make_fixtures.py for how to make
     * one.
     */
    public static TorchScriptModel fromSkeleton(Path skeletonPt, Path weightsSafetensors) {
        requireFile(skeletonPt, "TorchScript skeleton");
        requireFile(weightsSafetensors, "safetensors weights file");
        return new TorchScriptModel(skeletonPt, weightsSafetensors, null, null);
    }

    /**
     * A TorchScript {@code .pt} file at {@code location}: a local path, a {@code file:} URI, or a
     * URI of a Hadoop file system ({@code hdfs://nn:8020/models/m.pt}, {@code s3a://bucket/m.pt})
     * reached with the Hadoop settings of {@link io.rayzerocopy.admin.Locations#configureHadoop}.
     *
     * @throws IllegalArgumentException if there is no file there, naming the location
     * @throws java.io.UncheckedIOException if its file system cannot be reached
     */
    public static TorchScriptModel fromUri(String location) {
        return fromUri(location, null);
    }

    /**
     * A weight-free TorchScript skeleton and its safetensors weights (or, when {@code
     * weightsLocation} is null, a whole {@code .pt} file), each a local path or a URI as in {@link
     * #fromUri(String)}.
     */
    public static TorchScriptModel fromUri(String location, String weightsLocation) {
        Objects.requireNonNull(location, "location");
        if (Storage.isLocal(location) && (weightsLocation == null || Storage.isLocal(weightsLocation))) {
            Path pt = Storage.localPath(location);
            return weightsLocation == null
                    ? fromFile(pt)
                    : fromSkeleton(pt, Storage.localPath(weightsLocation));
        }
        RemoteModels.requireFile(location);
        if (weightsLocation != null) {
            RemoteModels.requireFile(weightsLocation);
        }
        return new TorchScriptModel(null, null, location, weightsLocation);
    }

    /**
     * The TorchScript file of a DJL model directory, found the way DJL finds it ({@code
     * <dir>.pt}, {@code <dir>}, {@code model.pt}, else the directory's only {@code .pt}), so the
     * directory can be shared without loading the model; empty if there is none.
     */
    public static Optional<TorchScriptModel> inDirectory(Path modelDirectory) {
        Objects.requireNonNull(modelDirectory, "modelDirectory");
        Path pt =
                TorchScriptExtractor.ptFileIn(
                        modelDirectory, modelDirectory.getFileName().toString());
        return pt == null ? Optional.empty() : Optional.of(fromFile(pt));
    }

    /**
     * The {@code .pt} file (the skeleton, when the weights are separate).
     *
     * @throws IllegalStateException for a model on a Hadoop file system: see {@link #uri()}
     */
    public Path file() {
        if (file == null) {
            throw new IllegalStateException(
                    "model " + Storage.mask(uri) + " is not a local file: use uri()");
        }
        return file;
    }

    /** The safetensors weights of a skeleton, if they are separate local files. */
    public Optional<Path> weights() {
        return Optional.ofNullable(weights);
    }

    /** The URI of a model on a Hadoop file system ({@link #fromUri}); empty for a local file. */
    public Optional<String> uri() {
        return Optional.ofNullable(uri);
    }

    /** The URI of a remote model's separate weights, if any. */
    public Optional<String> weightsUri() {
        return Optional.ofNullable(weightsUri);
    }

    private static void requireFile(Path p, String what) {
        Objects.requireNonNull(p, what);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(what + " " + p + " does not exist or is not a file");
        }
    }

    @Override
    public String toString() {
        if (uri != null) {
            return "TorchScriptModel["
                    + Storage.mask(uri)
                    + (weightsUri == null ? "" : ", weights " + Storage.mask(weightsUri))
                    + "]";
        }
        return "TorchScriptModel[" + file + (weights == null ? "" : ", weights " + weights) + "]";
    }
}
