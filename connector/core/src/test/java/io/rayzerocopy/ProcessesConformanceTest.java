package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.internal.exec.ProcessRuntime;
import io.rayzerocopy.internal.model.StoreMemory;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.junit.jupiter.api.Test;

import java.io.Serializable;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The runtime suite on worker processes, plus what only real processes show: a worker killed with
 * SIGKILL mid-job, and four workers holding one physical copy of the weights.
 */
class ProcessesConformanceTest extends RuntimeConformance {
    @Override
    protected String runtime() {
        return RuntimeNames.PROCESSES;
    }

    /** The scoring actor, plus a trigger: the first actor to see id 500 SIGKILLs its process. */
    record KillOnce(ModelScorer.Config scorer, String marker) implements Serializable {}

    static BatchFn killingOnce(KillOnce k) {
        ModelScorer inner = new ModelScorer(k.scorer());
        return batch -> {
            BigIntVector ids = (BigIntVector) batch.root().getVector("id");
            for (int i = 0; i < batch.rowCount(); i++) {
                if (ids.get(i) == 500) {
                    try {
                        Files.createFile(Path.of(k.marker()));
                        new ProcessBuilder(
                                        "kill", "-9", Long.toString(ProcessHandle.current().pid()))
                                .start()
                                .waitFor();
                        Thread.sleep(10_000);
                    } catch (FileAlreadyExistsException alreadyKilledOnce) {
                        break;
                    }
                }
            }
            return inner.call(batch);
        };
    }

    @Test
    void killNineOfAWorkerMidJobStillGivesTheExactOutput() throws Exception {
        Path out = dir.resolve("killed");
        Path marker = dir.resolve("killed.marker");
        WriteResult result =
                Dataset.readParquet(input.toString())
                        .mapBatches(
                                ProcessesConformanceTest::killingOnce,
                                new KillOnce(scorer(), marker.toString()),
                                64,
                                ActorPoolStrategy.size(2).maxTasksInFlightPerActor(2))
                        .withOptions(options().build())
                        .writeParquet(out.toString());
        assertTrue(Files.exists(marker), "a worker was killed");
        assertEquals(ROWS, result.rowsWritten());
        List<Long> ids = checkScores(out);
        assertEquals(ROWS, ids.size());
        assertEquals(ROWS, ids.stream().distinct().count(), "no row lost or duplicated");
    }

    /** Keeps ids, and allocates a vector it never frees. */
    static BatchFn leaking(String unused) {
        return batch -> {
            IntVector forgotten = new IntVector("forgotten", batch.allocator());
            forgotten.allocateNew(10);
            return batch.output().keep("id").build();
        };
    }

    @Test
    void anActorLeakingArrowMemoryInAWorkerIsReported() {
        DatasetException e =
                assertThrows(
                        DatasetException.class,
                        () ->
                                Dataset.readParquet(input.toString())
                                        .mapBatches(
                                                ProcessesConformanceTest::leaking,
                                                "",
                                                100,
                                                ActorPoolStrategy.size(1))
                                        .withOptions(options().build())
                                        .count());
        assertTrue(e.getMessage().contains("leaked Arrow memory"), e.getMessage());
    }

    @Test
    void aJobRefusedByItsInputCheckLeavesNoWorkerProcess() {
        ModelScorer.Config wrongColumn =
                ModelScorer.config(wrapper).inputColumn("id").outputColumn("scores").build();
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        Dataset.readParquet(input.toString())
                                .mapBatches(
                                        ModelScorer::new,
                                        wrongColumn,
                                        100,
                                        ActorPoolStrategy.size(2))
                                .withOptions(options().build())
                                .writeParquet(dir.resolve("refused").toString()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (workers() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(0, workers(), "the workers started ahead of the refused job are gone");
    }

    private static long workers() {
        return ProcessRuntime.workerProcesses().size();
    }

    /** A wrapper and a directory where workers meet before the driver measures them. */
    record Barrier(ModelWrapper<Model> wrapper, String dir) implements Serializable {}

    /**
     * Loads the model and runs it once on its first batch (touching every weight page), then
     * announces itself in the barrier directory and waits until the driver lets everyone go.
     */
    static BatchFn touchAndWait(Barrier b) {
        Model model = b.wrapper().load();
        boolean[] waited = {false};
        return batch -> {
            if (!waited[0]) {
                waited[0] = true;
                model.getBlock()
                        .forward(
                                new ParameterStore(batch.manager(), false),
                                new NDList(batch.manager().ones(new Shape(8, 1024))),
                                false);
                Path dir = Path.of(b.dir());
                Files.createFile(dir.resolve("arrived-" + ProcessHandle.current().pid()));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!Files.exists(dir.resolve("go")) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
            }
            return batch.output().keep("id").build();
        };
    }

    @Test
    void fourWorkerProcessesHoldOneCopyOfTheWeights() throws Exception {
        Path barrier = Files.createDirectories(dir.resolve("barrier"));
        try (Model big = Model.newInstance("big", Device.cpu(), "PyTorch")) {
            SequentialBlock block = bigBlock();
            big.setBlock(block);
            block.initialize(big.getNDManager(), DataType.FLOAT32, new Shape(1, 1024));
            try (ModelWrapper<Model> w =
                    ModelWrapper.fromModel(
                            BlockModel.of(ProcessesConformanceTest::bigBlock, big), Mode.ACTOR)) {
                long store = Stores.of(w).shardSizes().stream().mapToLong(Long::longValue).sum();
                StoreMemory[] measured = new StoreMemory[1];
                Thread driver =
                        new Thread(
                                () -> {
                                    try {
                                        while (arrived(barrier) < 4) {
                                            Thread.sleep(20);
                                        }
                                        measured[0] = StoreMemory.measure(Stores.of(w));
                                        Files.createFile(barrier.resolve("go"));
                                    } catch (Exception e) {
                                        throw new IllegalStateException(e);
                                    }
                                });
                driver.setDaemon(true);
                driver.start();
                assertEquals(
                        ROWS,
                        Dataset.readParquet(input.toString())
                                .mapBatches(
                                        ProcessesConformanceTest::touchAndWait,
                                        new Barrier(w, barrier.toString()),
                                        10,
                                        ActorPoolStrategy.size(4))
                                .withOptions(options().build())
                                .count());
                driver.join(10_000);
                StoreMemory m = measured[0];
                assertEquals(4, m.processes(), "all four workers map the store: " + m);
                assertTrue(
                        m.mappedRssBytes() > 3.5 * store, "each worker sees the whole store: " + m);
                assertTrue(m.mappedPssBytes() < 1.25 * store, "one physical copy among them: " + m);
            }
        }
    }

    private static long arrived(Path barrier) throws Exception {
        try (Stream<Path> s = Files.list(barrier)) {
            return s.filter(p -> p.getFileName().toString().startsWith("arrived-")).count();
        }
    }

    static SequentialBlock bigBlock() {
        SequentialBlock b = new SequentialBlock();
        for (int i = 0; i < 8; i++) {
            b.add(Linear.builder().setUnits(1024).build());
        }
        return b;
    }
}
