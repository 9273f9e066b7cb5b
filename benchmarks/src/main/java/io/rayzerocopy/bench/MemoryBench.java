package io.rayzerocopy.bench;

import ai.djl.Model;

import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelSource;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.internal.FileTrees;
import io.rayzerocopy.internal.exec.JvmLauncher;
import io.rayzerocopy.internal.model.ProcessMemory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The multi-process memory harness: N actor processes over one generated model, loaded naively
 * (each its own copy) and then zero-copy (one mapped store), with the PSS of every actor summed
 * from /proc while all are loaded and warm. The last line printed is {@code actors=<n> model_mb=<s>
 * naive_pss_mb=<x> zerocopy_pss_mb=<y> ratio=<x/y>}.
 */
public final class MemoryBench {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryBench.class);

    /** Summed PSS of one round of actors. */
    public static final class Round {
        final long pssKb;
        final long privateKb;
        final List<Double> loadMs;

        Round(long pssKb, long privateKb, List<Double> loadMs) {
            this.pssKb = pssKb;
            this.privateKb = privateKb;
            this.loadMs = loadMs;
        }
    }

    private MemoryBench() {}

    /** Starts {@code n} actors with {@code args}, measures them once all are ready, stops them. */
    static Round round(int n, List<String> args) throws Exception {
        List<Process> procs = new ArrayList<>();
        List<Double> loads = new ArrayList<>();
        long pss = 0;
        long priv = 0;
        try {
            for (int i = 0; i < n; i++) {
                procs.add(
                        JvmLauncher.start(
                                MemoryActor.class.getName(),
                                List.of(
                                        "-Xmx512m",
                                        "-XX:MaxDirectMemorySize=16g",
                                        "-Dai.djl.pytorch.num_threads=1",
                                        "-Dai.djl.pytorch.num_interop_threads=1"),
                                args));
            }
            for (Process p : procs) {
                String line;
                try {
                    line =
                            new BufferedReader(
                                            new InputStreamReader(
                                                    p.getInputStream(), StandardCharsets.UTF_8))
                                    .readLine();
                } catch (java.io.IOException e) {
                    line = null;
                }
                if (line == null || !line.startsWith("ready")) {
                    throw new IllegalStateException(
                            "actor process "
                                    + p.pid()
                                    + " failed to load the model ("
                                    + args
                                    + "); its error is printed above");
                }
                loads.add(Double.parseDouble(line.split(" ")[2]));
            }
            Thread.sleep(500);
            for (Process p : procs) {
                pss += ProcessMemory.pssKb(p.pid());
                priv += ProcessMemory.privateKb(p.pid());
            }
        } finally {
            for (Process p : procs) {
                p.getOutputStream().write('\n');
                p.getOutputStream().flush();
            }
            for (Process p : procs) {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
        return new Round(pss, priv, loads);
    }

    /**
     * Runs the harness.
     *
     * @param actors actor processes per round
     * @param modelMb approximate model size
     * @param kind {@code block} (Java block, no Python needed) or {@code torchscript}
     * @return the summary line
     */
    public static String run(int actors, int modelMb, String kind) throws Exception {
        int layers = BenchModels.layersFor(modelMb);
        double realMb =
                layers
                        * (BenchModels.WIDTH * (double) BenchModels.WIDTH + BenchModels.WIDTH)
                        * 4
                        / (1 << 20);
        Path work = Files.createTempDirectory("rzc-memory-bench");
        try (Model model = BenchModels.javaBlock(layers)) {
            List<String> naive;
            ModelSource source;
            if (kind.equals("torchscript")) {
                Path pt =
                        BenchModels.torchScript(
                                layers,
                                work.resolve("ts"),
                                Paths.get(System.getProperty("rzc.repo", ".")));
                naive = List.of("naive-torchscript", pt.toString());
                source = TorchScriptModel.fromFile(pt);
            } else {
                BenchModels.saveParams(model, work.resolve("params"));
                naive =
                        List.of(
                                "naive-block",
                                work.resolve("params").toString(),
                                Integer.toString(layers));
                source = BlockModel.of(BenchModels.factory(layers), model);
            }
            LOG.info(
                    "model: {} layers of {}x{}, {} MB ({})",
                    layers,
                    BenchModels.WIDTH,
                    BenchModels.WIDTH,
                    Math.round(realMb),
                    kind);
            Round baseline = round(actors, List.of("baseline"));
            LOG.info(
                    "baseline (engine started, no model): {} actors, PSS {} MB",
                    actors,
                    baseline.pssKb >> 10);
            Round plain = round(actors, naive);
            LOG.info(
                    "naive: PSS {} MB, private {} MB, load ms {}",
                    plain.pssKb >> 10,
                    plain.privateKb >> 10,
                    plain.loadMs);
            Round zero;
            try (ModelWrapper<Model> wrapper = ModelWrapper.fromModel(source, Mode.ACTOR)) {
                Path file = work.resolve("wrapper.bin");
                try (ObjectOutputStream out = new ObjectOutputStream(Files.newOutputStream(file))) {
                    out.writeObject(wrapper);
                }
                zero = round(actors, List.of("zerocopy", file.toString()));
            }
            LOG.info(
                    "zero-copy: PSS {} MB, private {} MB, load ms {}",
                    zero.pssKb >> 10,
                    zero.privateKb >> 10,
                    zero.loadMs);
            double target = (realMb + (baseline.pssKb >> 10)) * 1.10;
            System.out.printf(
                    "baseline_pss_mb=%d per_actor_baseline_mb=%d target_zerocopy_mb<=%.0f%n",
                    baseline.pssKb >> 10, (baseline.pssKb >> 10) / actors, target);
            String line =
                    String.format(
                            "actors=%d model_mb=%d naive_pss_mb=%d zerocopy_pss_mb=%d ratio=%.2f",
                            actors,
                            Math.round(realMb),
                            plain.pssKb >> 10,
                            zero.pssKb >> 10,
                            (double) plain.pssKb / zero.pssKb);
            System.out.println(line);
            return line;
        } finally {
            FileTrees.deleteTree(work);
        }
    }

    public static void main(String[] args) throws Exception {
        int actors = 4;
        int mb = 400;
        String kind = "block";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--actors":
                    actors = Integer.parseInt(args[++i]);
                    break;
                case "--model-mb":
                    mb = Integer.parseInt(args[++i]);
                    break;
                case "--kind":
                    kind = args[++i];
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        run(actors, mb, kind);
    }
}
