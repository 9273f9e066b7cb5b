package io.rayzerocopy.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;

import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.ParquetWriteOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Models of a chosen size, generated at run time (never committed): a Java block MLP of square
 * layers, and, where Debian's python3-torch is installed, the same architecture as TorchScript.
 */
public final class BenchModels {
    /** Width of every layer; one layer is WIDTH² floats = 16 MiB. */
    public static final int WIDTH = 2048;

    private BenchModels() {}

    /** Layers needed for about {@code mb} megabytes of weights. */
    public static int layersFor(int mb) {
        return Math.max(1, Math.round(mb / (WIDTH * (float) WIDTH * 4 / (1 << 20))));
    }

    /** Megabytes of weights (and biases) of the MLP with {@code layers} layers. */
    public static double megabytes(int layers) {
        return layers * (WIDTH * (double) WIDTH + WIDTH) * 4 / (1 << 20);
    }

    /**
     * Writes {@code rows} rows of {@code id} (int64) and {@code features} (WIDTH float32, uniform
     * in [-1, 1)) as Parquet into {@code dir}: the MLP's input.
     */
    public static void features(Path dir, long rows) {
        features(dir, rows, ParquetWriteOptions.overwrite());
    }

    /** As {@link #features(Path, long)}, in files of {@code rowsPerFile} rows. */
    public static void features(Path dir, long rows, long rowsPerFile) {
        features(
                dir,
                rows,
                ParquetWriteOptions.builder()
                        .rowsPerFile(rowsPerFile)
                        .saveMode(ParquetWriteOptions.SaveMode.OVERWRITE)
                        .build());
    }

    private static void features(Path dir, long rows, ParquetWriteOptions options) {
        Dataset.range(rows)
                .mapBatches(
                        batch -> {
                            NDArray x =
                                    batch.manager()
                                            .randomUniform(
                                                    -1, 1, new Shape(batch.rowCount(), WIDTH));
                            return batch.output().keep("id").put("features", x).build();
                        },
                        4096)
                .writeParquet(dir.toString(), options);
    }

    /**
     * A serializable factory for the MLP with {@code layers} Linear(WIDTH) layers and ReLUs
     * between.
     */
    public static BlockModel.Factory factory(int layers) {
        return () -> build(layers);
    }

    static SequentialBlock build(int layers) {
        SequentialBlock block = new SequentialBlock();
        for (int i = 0; i < layers; i++) {
            block.add(Linear.builder().setUnits(WIDTH).build());
            if (i < layers - 1) {
                block.add(Activation::relu);
            }
        }
        return block;
    }

    /** A Java block MLP with random weights, initialized on CPU. */
    public static Model javaBlock(int layers) {
        Model model = Model.newInstance("mlp" + layers, Device.cpu(), "PyTorch");
        model.setBlock(build(layers));
        model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, WIDTH));
        return model;
    }

    /** Saves the block's parameters in DJL's format (what a plain DJL load reads back). */
    public static Path saveParams(Model model, Path dir) throws IOException {
        Files.createDirectories(dir);
        model.save(dir, model.getName());
        return dir;
    }

    /** Whether /usr/bin/python3 can import torch (Debian's python3-torch). */
    public static boolean pythonTorchAvailable() {
        try {
            Process p =
                    new ProcessBuilder("/usr/bin/python3", "-c", "import torch")
                            .redirectErrorStream(true)
                            .start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Writes the MLP as TorchScript with tools/make_big_model.py: {@code <dir>/mlp.pt}, and a
     * weight-free skeleton {@code mlp_skeleton.pt} plus {@code mlp.safetensors}.
     */
    public static Path torchScript(int layers, Path dir, Path repo)
            throws IOException, InterruptedException {
        return torchScript(WIDTH, WIDTH, WIDTH, layers, dir, repo);
    }

    /**
     * As {@link #torchScript(int, Path, Path)}, for an MLP of {@code layers} Linear layers of
     * {@code width} units whose first layer takes {@code inputs} features and whose last gives
     * {@code outputs}.
     */
    public static Path torchScript(
            int inputs, int width, int outputs, int layers, Path dir, Path repo)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        List<String> cmd =
                new ArrayList<>(
                        List.of(
                                "/usr/bin/python3",
                                repo.resolve("tools/make_big_model.py").toString(),
                                "--layers",
                                Integer.toString(layers),
                                "--width",
                                Integer.toString(width),
                                "--inputs",
                                Integer.toString(inputs),
                                "--outputs",
                                Integer.toString(outputs),
                                "--out",
                                dir.toString()));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("tools/make_big_model.py failed with exit code " + p.exitValue());
        }
        return dir.resolve("mlp.pt");
    }
}
