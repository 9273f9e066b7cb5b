package io.rayzerocopy.bench;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.BatchFn;
import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelSource;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.TorchScriptModel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The multi-process memory harness. N actors over a generated model, three times: workers of the
 * {@code processes} runtime, started by a job as any job starts them, loading nothing (the
 * per-actor baseline: JVM, libtorch, Arrow); N plain JVMs each loading its own copy with DJL, as a
 * user without shared weights runs them (naive); and the runtime's workers loading it zero-copy
 * from the shared store. Each actor runs one forward pass (every weight page touched) and waits
 * while the harness sums the PSS of the processes from /proc (for the runtime's workers, with the
 * fork server they share libtorch with). The last line is {@code actors=<n> model_mb=<s>
 * naive_pss_mb=<x> zerocopy_pss_mb=<y> ratio=<x/y> per_actor_mb=<p>}, {@code p} being a zero-copy
 * actor's PSS beyond its share of the store.
 *
 * <p>{@link #scoring} measures the workers of a real scoring job instead, while they score.
 */
public final class MemoryBench {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryBench.class);

    /** Summed memory of one round of actors. */
    static final class Round {
        final long pssKb;
        final long privateKb;
        final long storePssKb;
        final List<Double> loadMs;

        Round(long pssKb, long privateKb, long storePssKb, List<Double> loadMs) {
            this.pssKb = pssKb;
            this.privateKb = privateKb;
            this.storePssKb = storePssKb;
            this.loadMs = loadMs;
        }
    }

    /**
     * What each worker of a round loads: {@code mode} is {@code baseline} (nothing) or {@code
     * zerocopy}; {@code barrier} is where workers announce themselves and wait for {@code go}.
     */
    record Load(String mode, String path, int layers, ModelWrapper<Model> wrapper, String barrier)
            implements Serializable {}

    private MemoryBench() {}

    /**
     * The actor of a round: loads its model when constructed, and on its one batch runs a forward
     * pass, writes its load time to {@code arrived-<pid>} and waits for the harness to measure.
     */
    static BatchFn loadAndWait(Load load) throws Exception {
        long start = System.nanoTime();
        Model model =
                switch (load.mode()) {
                    case "baseline" -> null;
                    case "zerocopy" -> load.wrapper().load();
                    default -> throw new IllegalArgumentException("unknown mode " + load.mode());
                };
        double loadMs = (System.nanoTime() - start) / 1e6;
        return batch -> {
            if (model != null) {
                NDArray x = batch.manager().ones(new Shape(1, BenchModels.WIDTH));
                model.getBlock()
                        .forward(new ParameterStore(batch.manager(), false), new NDList(x), false);
            }
            Path barrier = Path.of(load.barrier());
            Files.writeString(
                    barrier.resolve("arrived-" + ProcessHandle.current().pid()),
                    Double.toString(loadMs));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (!Files.exists(barrier.resolve("go")) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            return batch.output().keep("id").build();
        };
    }

    /**
     * The processes the workers cost: this JVM's live descendants, the workers and, where the
     * runtime forks them from a server that loaded libtorch once, that server, whose memory the
     * workers share.
     */
    private static List<ProcessHandle> workers() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
    }

    /**
     * Runs one round: {@code n} workers each load as {@code load} says; measures them once all are
     * loaded and warm; lets them finish. {@code storeId} names the mappings counted as the store.
     */
    static Round round(int n, Load template, String storeId) throws Exception {
        Path barrier = Files.createTempDirectory("rzc-memory-barrier");
        Load load =
                new Load(
                        template.mode(),
                        template.path(),
                        template.layers(),
                        template.wrapper(),
                        barrier.toString());
        CompletableFuture<Long> job =
                CompletableFuture.supplyAsync(
                        () ->
                                Dataset.range(n)
                                        .mapBatches(
                                                MemoryBench::loadAndWait,
                                                load,
                                                1,
                                                ActorPoolStrategy.size(n)
                                                        .maxTasksInFlightPerActor(1))
                                        .withOptions(
                                                ExecutionOptions.builder()
                                                        .runtime(RuntimeNames.PROCESSES)
                                                        .build())
                                        .count());
        try {
            List<Path> arrived = arrivals(barrier);
            while (arrived.size() < n) {
                if (job.isDone()) {
                    job.join();
                    throw new IllegalStateException("the round's job ended before its actors");
                }
                Thread.sleep(50);
                arrived = arrivals(barrier);
            }
            Thread.sleep(500);
            long pss = 0;
            long priv = 0;
            long store = 0;
            for (ProcessHandle w : workers()) {
                pss += ProcMemory.pssKb(w.pid());
                priv += ProcMemory.privateKb(w.pid());
                store += storeId == null ? 0 : ProcMemory.mappedPssKb(w.pid(), "/" + storeId + "/");
            }
            List<Double> loads = new ArrayList<>();
            for (Path p : arrived) {
                loads.add(Double.parseDouble(Files.readString(p, StandardCharsets.UTF_8)));
            }
            Files.createFile(barrier.resolve("go"));
            job.get(5, TimeUnit.MINUTES);
            return new Round(pss, priv, store, loads);
        } finally {
            try {
                Files.createFile(barrier.resolve("go"));
            } catch (FileAlreadyExistsException done) {
                // released already
            }
            job.handle((rows, e) -> rows).get(5, TimeUnit.MINUTES);
            BenchFiles.deleteTree(barrier);
        }
    }

    /**
     * The naive round: {@code n} plain JVMs (no fork server, one torch thread, the heap and direct
     * memory an ordinary DJL program gets), each loading its own copy ({@link NaiveActor}),
     * measured once all are loaded and warm.
     */
    static Round naiveRound(int n, List<String> args) throws Exception {
        List<Process> procs = new ArrayList<>();
        List<Double> loads = new ArrayList<>();
        long pss = 0;
        long priv = 0;
        try {
            for (int i = 0; i < n; i++) {
                procs.add(
                        ChildJvm.start(
                                NaiveActor.class.getName(),
                                List.of(
                                        "-Xmx512m",
                                        "-XX:MaxDirectMemorySize=16g",
                                        "-Dai.djl.pytorch.num_threads=1",
                                        "-Dai.djl.pytorch.num_interop_threads=1"),
                                args));
            }
            for (Process p : procs) {
                String line =
                        new BufferedReader(
                                        new InputStreamReader(
                                                p.getInputStream(), StandardCharsets.UTF_8))
                                .readLine();
                if (line == null || !line.startsWith("ready")) {
                    throw new IllegalStateException(
                            "naive actor "
                                    + p.pid()
                                    + " failed to load the model ("
                                    + args
                                    + "); its error is printed above");
                }
                loads.add(Double.parseDouble(line.split(" ")[2]));
            }
            Thread.sleep(500);
            for (Process p : procs) {
                pss += ProcMemory.pssKb(p.pid());
                priv += ProcMemory.privateKb(p.pid());
            }
        } finally {
            for (Process p : procs) {
                try {
                    p.getOutputStream().write('\n');
                    p.getOutputStream().flush();
                } catch (IOException gone) {
                    // it failed already
                }
            }
            for (Process p : procs) {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
        return new Round(pss, priv, 0, loads);
    }

    private static List<Path> arrivals(Path barrier) throws IOException {
        try (Stream<Path> s = Files.list(barrier)) {
            return s.filter(p -> p.getFileName().toString().startsWith("arrived-")).toList();
        }
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
        double realMb = BenchModels.megabytes(layers);
        Path work = Files.createTempDirectory("rzc-memory-bench");
        // Only a Java block model lives in this JVM: a TorchScript one (5 GB and more) stays in
        // its file, so the driver adds no copy of its own to the machine's memory.
        Model model = kind.equals("torchscript") ? null : BenchModels.javaBlock(layers);
        try {
            List<String> naive;
            ModelSource source;
            if (model == null) {
                Path pt =
                        BenchModels.torchScript(
                                layers,
                                work.resolve("ts"),
                                Paths.get(System.getProperty("rzc.repo", ".")));
                naive = List.of("torchscript", pt.toString());
                source = TorchScriptModel.fromFile(pt);
            } else {
                BenchModels.saveParams(model, work.resolve("params"));
                naive =
                        List.of(
                                "block",
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
            Round baseline = round(actors, new Load("baseline", null, 0, null, null), null);
            LOG.info(
                    "baseline (engine started, no model): {} actors, PSS {} MB",
                    actors,
                    baseline.pssKb >> 10);
            Round plain = naiveRound(actors, naive);
            LOG.info(
                    "naive: PSS {} MB, private {} MB, load ms {}",
                    plain.pssKb >> 10,
                    plain.privateKb >> 10,
                    plain.loadMs);
            Round zero;
            try (ModelWrapper<Model> wrapper = ModelWrapper.fromModel(source, Mode.ACTOR)) {
                zero =
                        round(
                                actors,
                                new Load("zerocopy", null, layers, wrapper, null),
                                wrapper.storeId());
            }
            long perActorMb = ((zero.pssKb - zero.storePssKb) / actors) >> 10;
            LOG.info(
                    "zero-copy: PSS {} MB, private {} MB, the store {} MB of it, load ms {}",
                    zero.pssKb >> 10,
                    zero.privateKb >> 10,
                    zero.storePssKb >> 10,
                    zero.loadMs);
            double target = (realMb + (baseline.pssKb >> 10)) * 1.10;
            System.out.printf(
                    "baseline_pss_mb=%d per_actor_baseline_mb=%d target_zerocopy_mb<=%.0f%n",
                    baseline.pssKb >> 10, (baseline.pssKb >> 10) / actors, target);
            String line =
                    String.format(
                            Locale.ROOT,
                            "actors=%d model_mb=%d naive_pss_mb=%d zerocopy_pss_mb=%d ratio=%.2f"
                                    + " per_actor_mb=%d",
                            actors,
                            Math.round(realMb),
                            plain.pssKb >> 10,
                            zero.pssKb >> 10,
                            (double) plain.pssKb / zero.pssKb,
                            perActorMb);
            System.out.println(line);
            return line;
        } finally {
            if (model != null) {
                model.close();
            }
            BenchFiles.deleteTree(work);
        }
    }

    /**
     * The workers of a real scoring job while they score: {@code actors} workers of the {@code
     * processes} runtime score generated features (width {@link BenchModels#WIDTH}) with the
     * ready-made {@link ModelScorer} at {@code batchSize} rows a batch; every 250 ms once the first
     * batch is written, each worker's PSS beyond its share of the store is sampled. The last line
     * is {@code scoring actors=<n> model_mb=<s> batch=<b> per_worker_mb_median=<m>
     * per_worker_mb_max=<x> samples=<k> rows_per_s=<r>}.
     */
    public static String scoring(int actors, int modelMb, String kind, int batchSize)
            throws Exception {
        int layers = BenchModels.layersFor(modelMb);
        long realMb = Math.round(BenchModels.megabytes(layers));
        Path work = Files.createTempDirectory("rzc-memory-scoring");
        try (Model model = BenchModels.javaBlock(layers)) {
            ModelSource source =
                    kind.equals("torchscript")
                            ? TorchScriptModel.fromFile(
                                    BenchModels.torchScript(
                                            layers,
                                            work.resolve("ts"),
                                            Paths.get(System.getProperty("rzc.repo", "."))))
                            : BlockModel.of(BenchModels.factory(layers), model);
            Path input = work.resolve("features");
            long rows = 16L * batchSize * actors;
            BenchModels.features(input, rows);
            try (ModelWrapper<Model> wrapper = ModelWrapper.fromModel(source, Mode.ACTOR)) {
                ModelScorer.Config scorer =
                        ModelScorer.config(wrapper)
                                .inputColumn("features")
                                .outputColumn("scores")
                                .keepColumns("id")
                                .build();
                AtomicBoolean scoring = new AtomicBoolean();
                List<Double> perWorkerMb = Collections.synchronizedList(new ArrayList<>());
                CompletableFuture<io.rayzerocopy.WriteResult> job =
                        CompletableFuture.supplyAsync(
                                () ->
                                        Dataset.readParquet(input.toString())
                                                .mapBatches(
                                                        ModelScorer::new,
                                                        scorer,
                                                        batchSize,
                                                        ActorPoolStrategy.size(actors))
                                                .withOptions(
                                                        ExecutionOptions.builder()
                                                                .runtime(RuntimeNames.PROCESSES)
                                                                .progress(
                                                                        p ->
                                                                                scoring.set(
                                                                                        p.rows()
                                                                                                > 0))
                                                                .build())
                                                .writeParquet(
                                                        work.resolve("scores").toString(),
                                                        ParquetWriteOptions.overwrite()));
                while (!job.isDone()) {
                    Thread.sleep(250);
                    if (!scoring.get()) {
                        continue;
                    }
                    long beyond = 0;
                    int mapping = 0;
                    for (ProcessHandle w : workers()) {
                        try {
                            long store =
                                    ProcMemory.mappedPssKb(w.pid(), "/" + wrapper.storeId() + "/");
                            beyond += ProcMemory.pssKb(w.pid()) - store;
                            mapping += store > 0 ? 1 : 0;
                        } catch (IOException gone) {
                            // the process ended between listing and reading
                        }
                    }
                    if (mapping == actors && !job.isDone()) {
                        perWorkerMb.add(beyond / (double) actors / 1024);
                    }
                }
                io.rayzerocopy.WriteResult result = job.get();
                List<Double> sorted = new ArrayList<>(perWorkerMb);
                Collections.sort(sorted);
                String line =
                        String.format(
                                Locale.ROOT,
                                "scoring actors=%d model_mb=%d batch=%d per_worker_mb_median=%.0f"
                                        + " per_worker_mb_max=%.0f samples=%d rows_per_s=%.0f",
                                actors,
                                realMb,
                                batchSize,
                                sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() / 2),
                                sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1),
                                sorted.size(),
                                result.rowsWritten() / result.seconds());
                System.out.println(line);
                return line;
            }
        } finally {
            BenchFiles.deleteTree(work);
        }
    }

    public static void main(String[] args) throws Exception {
        int actors = 4;
        int mb = 400;
        String kind = "block";
        int scoringBatch = 0;
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
                case "--scoring":
                    scoringBatch = Integer.parseInt(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (scoringBatch > 0) {
            scoring(actors, mb, kind, scoringBatch);
        } else {
            run(actors, mb, kind);
        }
    }
}
