package io.rayzerocopy.cli;

import io.rayzerocopy.internal.model.ModelExtractor;
import io.rayzerocopy.internal.model.SafeTensors;
import io.rayzerocopy.internal.model.WeightStore;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code rzc inspect}: what a model would put in the weight store. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description =
                "List a model's parameters (name, shape, dtype, bytes), its total size, and whether"
                        + " a weight store for it already exists on this machine.",
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
        try (ModelExtractor.Extracted x = Models.extractor(model, weights).extract("", List.of())) {
            long total = 0;
            System.out.printf("%-48s %-14s %-6s %12s%n", "parameter", "shape", "dtype", "bytes");
            for (WeightStore.Tensor t : x.tensors()) {
                System.out.printf(
                        "%-48s %-14s %-6s %12d%n",
                        t.name(), t.shapeString(), SafeTensors.toCode(t.dataType()), t.byteSize());
                total += t.byteSize();
            }
            long skeleton = x.files().values().stream().mapToLong(b -> b.length).sum();
            long fileSize = Files.size(model);
            System.out.printf(
                    "parameters: %d tensors, %.1f MB shared through the store%n",
                    x.tensors().size(), total / 1048576.0);
            System.out.printf(
                    "skeleton: %d bytes of %d in the file (code, structure, and tensors that are"
                            + " not parameters, e.g. BatchNorm statistics, which each actor keeps"
                            + " privately)%n",
                    skeleton, fileSize);
            for (String t : x.privateTensors()) {
                System.out.println(
                        "private (not a parameter, stays in each actor's skeleton): " + t);
            }
            Path dir = WeightStore.local().directoryFor(x.tensors(), x.files());
            System.out.printf(
                    "store: %s (%s)%n",
                    dir, Files.isDirectory(dir) ? "exists on this machine" : "not on this machine");
        }
        return 0;
    }
}
