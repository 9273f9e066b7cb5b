package io.rayzerocopy.cli;

import ai.djl.Model;

import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.admin.Locations;
import io.rayzerocopy.admin.ModelDescription;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Turns the CLI's {@code --model} (and {@code --weights}) into a shareable model. */
final class Models {
    private Models() {}

    /**
     * Wraps a TorchScript {@code .pt} file, a weight-free skeleton with its safetensors weights, or
     * a DJL model directory holding a TorchScript file, for actors; {@code model} and {@code
     * weights} (or null) are local paths or URIs of a Hadoop file system (a remote model is
     * fetched once per machine).
     */
    static ModelWrapper<Model> wrap(String model, String weights) {
        if (Locations.isLocal(model) && (weights == null || Locations.isLocal(weights))) {
            return ModelWrapper.fromModel(
                    torchScript(
                            JobOptions.localPath(model, "--model"),
                            weights == null ? null : JobOptions.localPath(weights, "--weights")),
                    Mode.ACTOR);
        }
        return ModelWrapper.fromModel(remote(model, weights), Mode.ACTOR);
    }

    /** A model or skeleton and weights of which one at least is on a Hadoop file system. */
    private static TorchScriptModel remote(String model, String weights) {
        String path = model.replaceAll("[?#].*", "");
        if (weights == null && !path.endsWith(".pt") && !path.endsWith(".pth")) {
            throw new UserError(
                    "--model "
                            + Locations.mask(model)
                            + " is not a TorchScript file (.pt): on a remote file system, name"
                            + " the model file itself");
        }
        try {
            return TorchScriptModel.fromUri(model, weights);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            boolean weightsFailed =
                    weights != null && e.getMessage().contains(Locations.mask(weights));
            throw new UserError(
                    (weightsFailed
                                    ? "--weights " + Locations.mask(weights)
                                    : "--model " + Locations.mask(model))
                            + ": "
                            + e.getMessage());
        }
    }

    /** What {@link #wrap} would put in the weight store, without writing it. */
    static ModelDescription describe(Path model, Path weights) {
        return ModelDescription.of(torchScript(model, weights));
    }

    /** The TorchScript file (or skeleton and weights, or the file of a model directory) given. */
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
            // Shared from its file, so the model is never loaded whole here.
            return TorchScriptModel.inDirectory(model)
                    .orElseThrow(
                            () ->
                                    new UserError(
                                            "--model "
                                                    + model
                                                    + " is not a DJL model directory with a"
                                                    + " TorchScript file: name it model.pt, "
                                                    + model.getFileName()
                                                    + ".pt, or keep only one .pt file in it"));
        }
        if (!model.toString().endsWith(".pt") && !model.toString().endsWith(".pth")) {
            throw new UserError(
                    "--model "
                            + model
                            + " is not a TorchScript file (.pt) or a DJL model directory");
        }
        return TorchScriptModel.fromFile(model);
    }
}
