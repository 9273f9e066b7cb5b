package io.rayzerocopy;

import io.rayzerocopy.internal.model.TorchScriptExtractor;

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
 * <p>Module buffers that are not parameters (e.g. BatchNorm running statistics) stay in the
 * skeleton and so are private to each actor; {@code rzc inspect} lists them. Immutable.
 */
public final class TorchScriptModel implements ModelSource {
    private final Path file;
    private final Path weights;

    private TorchScriptModel(Path file, Path weights) {
        this.file = file;
        this.weights = weights;
    }

    /** A TorchScript {@code .pt} file (saved with {@code torch.jit.save}). */
    public static TorchScriptModel fromFile(Path ptFile) {
        requireFile(ptFile, "TorchScript file");
        return new TorchScriptModel(ptFile, null);
    }

    /**
     * A weight-free TorchScript skeleton plus the weights it was made from, as safetensors (tensor
     * names as in {@code module.named_parameters()}); see tools/make_fixtures.py for how to make
     * one.
     */
    public static TorchScriptModel fromSkeleton(Path skeletonPt, Path weightsSafetensors) {
        requireFile(skeletonPt, "TorchScript skeleton");
        requireFile(weightsSafetensors, "safetensors weights file");
        return new TorchScriptModel(skeletonPt, weightsSafetensors);
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

    /** The {@code .pt} file (the skeleton, when the weights are separate). */
    public Path file() {
        return file;
    }

    /** The safetensors weights of a skeleton, if they are separate from the {@code .pt} file. */
    public Optional<Path> weights() {
        return Optional.ofNullable(weights);
    }

    private static void requireFile(Path p, String what) {
        Objects.requireNonNull(p, what);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(what + " " + p + " does not exist or is not a file");
        }
    }

    @Override
    public String toString() {
        return "TorchScriptModel[" + file + (weights == null ? "" : ", weights " + weights) + "]";
    }
}
