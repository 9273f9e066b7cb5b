package io.rayzerocopy.cli;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;

import io.rayzerocopy.model.Djl;
import io.rayzerocopy.model.ModelSource;
import io.rayzerocopy.model.TorchScriptModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Turns the CLI's {@code --model} (and {@code --weights}) into a shareable model. */
final class Models {
    private Models() {}

    /**
     * A TorchScript {@code .pt} file, a weight-free skeleton with its safetensors weights, or a DJL
     * model directory holding a TorchScript file.
     */
    static ModelSource open(Path model, Path weights) {
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
            Djl.engine();
            Model djl = Model.newInstance(model.getFileName().toString(), Device.cpu(), Djl.ENGINE);
            try {
                djl.load(model);
            } catch (IOException | MalformedModelException | RuntimeException e) {
                djl.close();
                throw new UserError(
                        "--model "
                                + model
                                + " is not a DJL model directory with a TorchScript file: "
                                + e.getMessage());
            }
            return ModelSource.of(djl);
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
