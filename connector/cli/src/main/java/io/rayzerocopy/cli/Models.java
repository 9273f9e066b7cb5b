package io.rayzerocopy.cli;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;

import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.internal.model.Djl;
import io.rayzerocopy.internal.model.ModelExtractor;
import io.rayzerocopy.internal.model.TorchScriptExtractor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Turns the CLI's {@code --model} (and {@code --weights}) into a shareable model. */
final class Models {
    private Models() {}

    /**
     * Wraps a TorchScript {@code .pt} file, a weight-free skeleton with its safetensors weights, or
     * a DJL model directory holding a TorchScript file, for actors.
     */
    static ModelWrapper<Model> wrap(Path model, Path weights) {
        TorchScriptModel file = torchScript(model, weights);
        if (file != null) {
            return ModelWrapper.fromModel(file, Mode.ACTOR);
        }
        try (Model djl = loadDirectory(model)) {
            return ModelWrapper.fromModel(djl, Mode.ACTOR);
        }
    }

    /** What {@link #wrap} would put in the weight store, without writing it. */
    static ModelExtractor extractor(Path model, Path weights) {
        TorchScriptModel file = torchScript(model, weights);
        if (file != null) {
            return TorchScriptExtractor.of(file.file(), file.weights().orElse(null));
        }
        try (Model djl = loadDirectory(model)) {
            return TorchScriptExtractor.fromDjlModel(djl);
        }
    }

    /** The TorchScript file (or skeleton and weights) given, or null for a model directory. */
    private static TorchScriptModel torchScript(Path model, Path weights) {
        if (!Files.exists(model)) {
            throw new UserError(
                    "--model "
                            + model
                            + " does not exist: give a TorchScript .pt file, a skeleton .pt with"
                            + " --weights, or a DJL model directory");
        }
        if (weights != null) {
            if (!Files.isRegularFile(weights)) {
                throw new UserError("--weights " + weights + " does not exist or is not a file");
            }
            return TorchScriptModel.fromSkeleton(model, weights);
        }
        if (Files.isDirectory(model)) {
            // Shared from its file, so the model is never loaded whole here; else DJL loads it.
            Path pt = TorchScriptExtractor.ptFileIn(model, model.getFileName().toString());
            return pt == null ? null : TorchScriptModel.fromFile(pt);
        }
        if (!model.toString().endsWith(".pt") && !model.toString().endsWith(".pth")) {
            throw new UserError(
                    "--model "
                            + model
                            + " is not a TorchScript file (.pt) or a DJL model directory");
        }
        return TorchScriptModel.fromFile(model);
    }

    private static Model loadDirectory(Path model) {
        Model djl =
                Model.newInstance(model.getFileName().toString(), Device.cpu(), Djl.engineName());
        try {
            djl.load(model);
            return djl;
        } catch (IOException | MalformedModelException | RuntimeException e) {
            djl.close();
            throw new UserError(
                    "--model "
                            + model
                            + " is not a DJL model directory with a TorchScript file: "
                            + e.getMessage());
        }
    }
}
