package io.rayzerocopy.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;

import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.TorchScriptModel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Load latency after engine start: the median of repeated loads of the same model, a plain DJL load
 * against {@code wrapper.load()}, for each kind of model (Java block; TorchScript file and
 * weight-free skeleton where python3-torch can generate them), and the first zero-copy load of each
 * kind in the process (for TorchScript, libtorch loading the skeleton; later loads reuse it). Last
 * line: {@code model_mb=<s> plain_ms=<x> zerocopy_ms=<y> ratio=<x/y>} for the fastest zero-copy
 * kind.
 */
public final class LoadBench {
    private static final Logger LOG = LoggerFactory.getLogger(LoadBench.class);

    private LoadBench() {}

    /** The first load's time, then the median of {@code reps} more, in ms. */
    static double[] firstAndMedianMs(int reps, Callable<Model> load) throws Exception {
        long start = System.nanoTime();
        load.call().close();
        double first = (System.nanoTime() - start) / 1e6;
        return new double[] {first, medianMs(reps, load)};
    }

    static double medianMs(int reps, Callable<Model> load) throws Exception {
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t = System.nanoTime();
            Model m = load.call();
            ms[i] = (System.nanoTime() - t) / 1e6;
            m.close();
        }
        Arrays.sort(ms);
        return ms[reps / 2];
    }

    /** Runs the benchmark and returns the summary line. */
    public static String run(int modelMb, int reps) throws Exception {
        Engine.getEngine("PyTorch");
        int layers = BenchModels.layersFor(modelMb);
        long realMb = Math.round(BenchModels.megabytes(layers));
        Path work = Files.createTempDirectory("rzc-load-bench");
        List<String[]> rows = new ArrayList<>();
        double bestZero = Double.MAX_VALUE;
        double bestPlain = 0;
        try (Model model = BenchModels.javaBlock(layers)) {
            Path params = BenchModels.saveParams(model, work.resolve("params"));
            double plain =
                    firstAndMedianMs(
                            reps,
                            () -> {
                                Model m = Model.newInstance("mlp", Device.cpu(), "PyTorch");
                                m.setBlock(BenchModels.build(layers));
                                m.load(params, "mlp" + layers);
                                return m;
                            })[1];
            double[] zero;
            try (ModelWrapper<Model> w =
                    ModelWrapper.fromModel(
                            BlockModel.of(BenchModels.factory(layers), model), Mode.ACTOR)) {
                zero = firstAndMedianMs(reps, w::load);
            }
            rows.add(new String[] {"java-block", fmt(plain), fmt(zero[1]), fmt(zero[0])});
            bestZero = zero[1];
            bestPlain = plain;
        }
        if (BenchModels.pythonTorchAvailable()) {
            Path pt =
                    BenchModels.torchScript(
                            layers,
                            work.resolve("ts"),
                            Paths.get(System.getProperty("rzc.repo", ".")));
            double plain =
                    firstAndMedianMs(
                            reps,
                            () -> {
                                Model m = Model.newInstance("mlp", Device.cpu(), "PyTorch");
                                m.load(pt);
                                return m;
                            })[1];
            double[] fromFile;
            try (ModelWrapper<Model> w =
                    ModelWrapper.fromModel(TorchScriptModel.fromFile(pt), Mode.ACTOR)) {
                fromFile = firstAndMedianMs(reps, w::load);
            }
            double[] skeleton;
            try (ModelWrapper<Model> w =
                    ModelWrapper.fromModel(
                            TorchScriptModel.fromSkeleton(
                                    pt.resolveSibling("mlp_skeleton.pt"),
                                    pt.resolveSibling("mlp.safetensors")),
                            Mode.ACTOR)) {
                skeleton = firstAndMedianMs(reps, w::load);
            }
            rows.add(
                    new String[] {
                        "torchscript-file", fmt(plain), fmt(fromFile[1]), fmt(fromFile[0])
                    });
            rows.add(
                    new String[] {
                        "torchscript-skeleton", fmt(plain), fmt(skeleton[1]), fmt(skeleton[0])
                    });
            if (Math.min(fromFile[1], skeleton[1]) < bestZero) {
                bestZero = Math.min(fromFile[1], skeleton[1]);
                bestPlain = plain;
            }
        } else {
            LOG.warn(
                    "/usr/bin/python3 cannot import torch (apt-get install -y python3-torch):"
                            + " TorchScript kinds skipped");
        }
        BenchFiles.deleteTree(work);
        for (String[] r : rows) {
            System.out.printf(
                    "kind=%s plain_ms=%s zerocopy_ms=%s zerocopy_first_ms=%s%n",
                    r[0], r[1], r[2], r[3]);
        }
        String line =
                String.format(
                        "model_mb=%d plain_ms=%s zerocopy_ms=%s ratio=%.1f",
                        realMb, fmt(bestPlain), fmt(bestZero), bestPlain / bestZero);
        System.out.println(line);
        return line;
    }

    private static String fmt(double ms) {
        return String.format("%.1f", ms);
    }

    public static void main(String[] args) throws Exception {
        int mb = 400;
        int reps = 9;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model-mb":
                    mb = Integer.parseInt(args[++i]);
                    break;
                case "--reps":
                    reps = Integer.parseInt(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        run(mb, reps);
    }
}
