package io.rayzerocopy.cli;

import io.rayzerocopy.admin.ModelDescription;
import io.rayzerocopy.admin.TensorInfo;
import io.rayzerocopy.admin.WeightStores;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code rzc inspect}: what a model would put in the weight store. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description =
                "List a model's parameters (name, shape, dtype, bytes), its total size, the"
                        + " arguments of its forward, and whether a weight store for it already"
                        + " exists on this machine.",
        footer = {
            "",
            "Examples:",
            "  rzc inspect model.pt",
            "  rzc inspect skeleton.pt --weights model.safetensors"
        })
final class InspectCommand implements Callable<Integer> {
    @Parameters(
            index = "0",
            paramLabel = "MODEL",
            description = "TorchScript .pt file (or weight-free skeleton with --weights)")
    String model;

    @Option(
            names = "--weights",
            paramLabel = "FILE",
            description = "safetensors weights of a weight-free skeleton")
    String weights;

    @Override
    public Integer call() throws Exception {
        Path model = JobOptions.localPath(this.model, "MODEL");
        Path weights = this.weights == null ? null : JobOptions.localPath(this.weights, "--weights");
        ModelDescription d = Models.describe(model, weights);
        System.out.printf("%-48s %-14s %-6s %12s%n", "parameter", "shape", "dtype", "bytes");
        for (TensorInfo t : d.tensors()) {
            System.out.printf(
                    "%-48s %-14s %-6s %12d%n", t.name(), t.shapeString(), t.dtype(), t.bytes());
        }
        System.out.printf(
                "parameters: %d tensors, %.1f MB shared through the store%n",
                d.tensors().size(), d.parameterBytes() / 1048576.0);
        System.out.printf(
                "skeleton: %d bytes of %d in the file (code, structure, and tensors that are"
                        + " not parameters, e.g. BatchNorm statistics, which each actor keeps"
                        + " privately)%n",
                d.skeletonBytes(), Files.size(model));
        for (String t : d.privateTensors()) {
            System.out.println("private (not a parameter, stays in each actor's skeleton): " + t);
        }
        d.signature().ifPresent(s -> System.out.println("arguments: " + s));
        Path dir = WeightStores.local().directory(d.storeId());
        System.out.printf(
                "store: %s (%s)%n",
                dir, Files.isDirectory(dir) ? "exists on this machine" : "not on this machine");
        return 0;
    }
}
