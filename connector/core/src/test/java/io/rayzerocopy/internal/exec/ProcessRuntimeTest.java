package io.rayzerocopy.internal.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.internal.data.SettingNames;
import io.rayzerocopy.spi.ActorDiedException;
import io.rayzerocopy.spi.ActorHandle;
import io.rayzerocopy.spi.ActorRuntime;
import io.rayzerocopy.spi.ActorSpec;
import io.rayzerocopy.spi.BatchProcessor;
import io.rayzerocopy.spi.RuntimeSettings;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Real worker JVMs: batches over Arrow IPC, constructor errors, kill -9, PSS, no orphans. */
class ProcessRuntimeTest {
    /** Doubles column "x"; fails on a batch whose first value is negative. */
    static final class Doubler implements ActorSpec {
        private static final long serialVersionUID = 1L;
        private final boolean failInConstructor;

        Doubler(boolean failInConstructor) {
            this.failInConstructor = failInConstructor;
        }

        @Override
        public String name() {
            return "Doubler";
        }

        @Override
        public BatchProcessor create() {
            if (failInConstructor) {
                throw new IllegalStateException("model file missing: /nowhere/model.pt");
            }
            System.out.println("user code printing to stdout must not disturb the worker protocol");
            return (input, allocator) -> {
                System.out.print("noise without a newline ");
                BigIntVector in = (BigIntVector) input.getVector("x");
                if (in.get(0) < 0) {
                    throw new IllegalArgumentException("negative input " + in.get(0));
                }
                BigIntVector out = new BigIntVector("y", allocator);
                out.allocateNew(in.getValueCount());
                for (int i = 0; i < in.getValueCount(); i++) {
                    out.set(i, in.get(i) * 2);
                }
                out.setValueCount(in.getValueCount());
                return VectorSchemaRoot.of(out);
            };
        }
    }

    static VectorSchemaRoot batch(BufferAllocator allocator, long... values) {
        BigIntVector x = new BigIntVector("x", allocator);
        x.allocateNew(values.length);
        for (int i = 0; i < values.length; i++) {
            x.set(i, values[i]);
        }
        x.setValueCount(values.length);
        return VectorSchemaRoot.of(x);
    }

    @Test
    void batchesRoundTripThroughAWorkerProcess() throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
                ProcessRuntime runtime = new ProcessRuntime()) {
            ActorHandle actor = runtime.start(new Doubler(false), "doubler-0");
            actor.ready().get(60, TimeUnit.SECONDS);
            long pid = runtime.workerPids().get(0);
            assertTrue(pid != ProcessHandle.current().pid());
            try (VectorSchemaRoot in = batch(allocator, 1, 2, 3);
                    VectorSchemaRoot out = actor.submit(in, allocator).get(30, TimeUnit.SECONDS)) {
                BigIntVector y = (BigIntVector) out.getVector("y");
                assertEquals(List.of(2L, 4L, 6L), List.of(y.get(0), y.get(1), y.get(2)));
            }
            try (VectorSchemaRoot bad = batch(allocator, -1)) {
                CompletableFuture<VectorSchemaRoot> f = actor.submit(bad, allocator);
                Exception e = assertThrows(Exception.class, () -> f.get(30, TimeUnit.SECONDS));
                assertTrue(
                        e.getCause().getMessage().contains("negative input -1"),
                        e.getCause().getMessage());
            }
            long pss = runtime.workerPssKb().get(0);
            assertTrue(pss > 10_000, "worker PSS " + pss + " kB");
            actor.stop().get(30, TimeUnit.SECONDS);
            assertTrue(
                    ProcessHandle.of(pid)
                                    .map(h -> h.onExit().orTimeout(10, TimeUnit.SECONDS).join())
                                    .isPresent()
                            || ProcessHandle.of(pid).isEmpty());
        }
    }

    /**
     * Answers each batch with the file mapped at the address of its input's values, as the worker
     * sees it in /proc/self/maps, and the values doubled.
     */
    static final class WhereIsMyInput implements ActorSpec {
        private static final long serialVersionUID = 1L;

        @Override
        public String name() {
            return "WhereIsMyInput";
        }

        @Override
        public BatchProcessor create() {
            return (input, allocator) -> {
                BigIntVector in = (BigIntVector) input.getVector("x");
                VarCharVector where = new VarCharVector("where", allocator);
                BigIntVector y = new BigIntVector("y", allocator);
                int rows = in.getValueCount();
                where.allocateNew(rows);
                y.allocateNew(rows);
                String file = mappedFileAt(in.getDataBufferAddress());
                for (int i = 0; i < rows; i++) {
                    where.setSafe(i, file.getBytes(StandardCharsets.UTF_8));
                    y.set(i, in.get(i) * 2);
                }
                where.setValueCount(rows);
                y.setValueCount(rows);
                return VectorSchemaRoot.of(where, y);
            };
        }
    }

    /** The path of the mapping of this process that holds {@code address} ("" if anonymous). */
    static String mappedFileAt(long address) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] f = line.trim().split("\\s+", 6);
            String[] range = f[0].split("-");
            long start = Long.parseUnsignedLong(range[0], 16);
            long end = Long.parseUnsignedLong(range[1], 16);
            if (address >= start && address < end) {
                return f.length > 5 ? f[5] : "";
            }
        }
        throw new IllegalStateException("no mapping holds address " + address);
    }

    @Test
    void aWorkerReadsItsBatchInPlaceInSharedMemoryAndTheDriverReadsTheResultInPlace()
            throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
                ProcessRuntime runtime = new ProcessRuntime()) {
            ActorHandle actor = runtime.start(new WhereIsMyInput(), "where-0");
            actor.ready().get(60, TimeUnit.SECONDS);
            String slots = BatchSlots.baseDirectory().resolve(BatchSlots.PREFIX).toString();
            for (int call = 0; call < 3; call++) {
                long[] values = new long[100_000];
                for (int i = 0; i < values.length; i++) {
                    values[i] = i + call;
                }
                try (VectorSchemaRoot in = batch(allocator, values);
                        VectorSchemaRoot out =
                                actor.submit(in, allocator).get(30, TimeUnit.SECONDS)) {
                    String inWorker =
                            ((VarCharVector) out.getVector("where")).getObject(0).toString();
                    assertTrue(
                            inWorker.startsWith(slots) && inWorker.contains("/slot-"),
                            "the worker's input values lie in a shared slot, not a copy: "
                                    + inWorker);
                    BigIntVector y = (BigIntVector) out.getVector("y");
                    String inDriver = mappedFileAt(y.getDataBufferAddress());
                    assertTrue(
                            inDriver.startsWith(slots) && inDriver.contains("/slot-"),
                            "the driver reads the result where the worker wrote it: " + inDriver);
                    for (int i = 0; i < values.length; i++) {
                        assertEquals(2 * values[i], y.get(i));
                    }
                }
            }
        }
    }

    /**
     * Doubles "x" into "y" and reports the worker's maximum heap in "heap"; with {@code hog}, first
     * allocates twice its heap.
     */
    static final class HeapReporter implements ActorSpec {
        private static final long serialVersionUID = 1L;
        private final boolean hog;

        HeapReporter(boolean hog) {
            this.hog = hog;
        }

        @Override
        public String name() {
            return "HeapReporter";
        }

        @Override
        public BatchProcessor create() {
            return (input, allocator) -> {
                if (hog) {
                    long[] tooMuch = new long[(int) (Runtime.getRuntime().maxMemory() / 4)];
                    tooMuch[0] = 1;
                }
                BigIntVector in = (BigIntVector) input.getVector("x");
                int rows = in.getValueCount();
                BigIntVector y = new BigIntVector("y", allocator);
                BigIntVector heap = new BigIntVector("heap", allocator);
                y.allocateNew(rows);
                heap.allocateNew(rows);
                for (int i = 0; i < rows; i++) {
                    y.set(i, in.get(i) * 2);
                    heap.set(i, Runtime.getRuntime().maxMemory());
                }
                y.setValueCount(rows);
                heap.setValueCount(rows);
                return VectorSchemaRoot.of(y, heap);
            };
        }
    }

    private static ActorRuntime processes(String... workerJvmOptions) {
        return new ProcessRuntime.Provider()
                .create(
                        new RuntimeSettings("processes", 1, List.of(workerJvmOptions), Map.of()),
                        null);
    }

    @Test
    void workerJvmOptionsReachTheWorkerWhoseHeapDoesNotHoldTheBatches() throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
                ActorRuntime runtime = processes("-Xmx48m")) {
            ActorHandle actor = runtime.start(new HeapReporter(false), "heap-0");
            actor.ready().get(60, TimeUnit.SECONDS);
            long[] values = new long[8 << 20];
            for (int i = 0; i < values.length; i++) {
                values[i] = i;
            }
            // 64 MB of input and 128 MB of output through a worker with a 48 MB heap.
            try (VectorSchemaRoot in = batch(allocator, values);
                    VectorSchemaRoot out = actor.submit(in, allocator).get(60, TimeUnit.SECONDS)) {
                BigIntVector heap = (BigIntVector) out.getVector("heap");
                assertTrue(
                        heap.get(0) <= 48L << 20, "the worker runs with -Xmx48m: " + heap.get(0));
                BigIntVector y = (BigIntVector) out.getVector("y");
                assertEquals(values.length, out.getRowCount());
                for (int i = 0; i < values.length; i += 4099) {
                    assertEquals(2L * i, y.get(i));
                }
            }
        }
    }

    @Test
    void aWorkerOutOfHeapIsReportedAsSuchWithTheBatchAndTheFix() throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
                ActorRuntime runtime = processes("-Xmx48m")) {
            ActorHandle actor = runtime.start(new HeapReporter(true), "hog-0");
            actor.ready().get(60, TimeUnit.SECONDS);
            try (VectorSchemaRoot in = batch(allocator, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)) {
                Exception e =
                        assertThrows(
                                Exception.class,
                                () -> actor.submit(in, allocator).get(60, TimeUnit.SECONDS));
                String message = e.getCause().getMessage();
                assertTrue(
                        message.startsWith(
                                        "the worker process ran out of memory (Java heap space;"
                                                + " its heap is ")
                                && message.contains(" MB) on a batch of 10 rows")
                                && message.contains(
                                        SettingNames.WORKER_JVM_OPTIONS + " with -Xmx2g")
                                && message.contains(SettingNames.BATCH_SIZE),
                        message);
            }
        }
    }

    static Set<Long> workerChildren() {
        return new HashSet<>(ProcessRuntime.workerProcesses());
    }

    /** The worker processes not in {@code before}, once there are {@code count}. */
    static Set<Long> newWorkers(Set<Long> before, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Set<Long> found = Set.of();
        while (found.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
            found = workerChildren();
            found.removeAll(before);
        }
        return found;
    }

    @Test
    void workersStartedAheadServeTheActorsAndUnclaimedOnesAreEnded() throws Exception {
        RuntimeSettings settings =
                new RuntimeSettings("processes", 1, List.of("-Xmx100m"), Map.of());
        Set<Long> before = workerChildren();
        new ProcessRuntime.Provider().prepare(settings, 2);
        Set<Long> ahead = newWorkers(before, 2);
        assertEquals(2, ahead.size(), "two workers booting before any actor exists");
        try (BufferAllocator allocator = new RootAllocator();
                ProcessRuntime runtime =
                        (ProcessRuntime) new ProcessRuntime.Provider().create(settings, null)) {
            ActorHandle actor = runtime.start(new Doubler(false), "ahead-0");
            actor.ready().get(60, TimeUnit.SECONDS);
            assertTrue(ahead.contains(runtime.workerPids().get(0)), "the actor got a spare");
            try (VectorSchemaRoot in = batch(allocator, 21);
                    VectorSchemaRoot out = actor.submit(in, allocator).get(30, TimeUnit.SECONDS)) {
                assertEquals(42L, ((BigIntVector) out.getVector("y")).get(0));
            }
        }
        for (long pid : ahead) {
            ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(20, TimeUnit.SECONDS).join());
        }
        assertTrue(
                ahead.stream().noneMatch(pid -> ProcessHandle.of(pid).isPresent()),
                "the unclaimed spare ended with the runtime");

        Runnable undo = new ProcessRuntime.Provider().prepare(settings, 1);
        Set<Long> unused = newWorkers(before, 1);
        assertEquals(1, unused.size());
        undo.run();
        for (long pid : unused) {
            ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(20, TimeUnit.SECONDS).join());
        }
        assertEquals(before, workerChildren(), "a job that never starts its actors leaves none");
    }

    @Test
    void constructorErrorIsReportedAndKillNineFailsCallsWithActorDied() throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
                ProcessRuntime runtime = new ProcessRuntime()) {
            ActorHandle broken = runtime.start(new Doubler(true), "broken-0");
            Exception e =
                    assertThrows(Exception.class, () -> broken.ready().get(60, TimeUnit.SECONDS));
            assertTrue(
                    e.getCause().getMessage().contains("/nowhere/model.pt"),
                    e.getCause().getMessage());

            ActorHandle actor = runtime.start(new Doubler(false), "doubler-1");
            actor.ready().get(60, TimeUnit.SECONDS);
            long pid = runtime.workerPids().get(runtime.workerPids().size() - 1);
            new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
            try (VectorSchemaRoot in = batch(allocator, 5)) {
                CompletionException died =
                        assertThrows(
                                CompletionException.class,
                                () -> actor.submit(in, allocator).join());
                assertInstanceOf(ActorDiedException.class, died.getCause());
                assertTrue(
                        died.getCause().getMessage().contains(Long.toString(pid)),
                        died.getCause().getMessage());
            }
        }
    }

    @Test
    void workersAndTheForkServerDieWithTheirDriverEvenOnSigkill() throws Exception {
        Process driver =
                JvmLauncher.start(DriverMain.class.getName(), List.of("-Xmx256m"), List.of());
        String[] line =
                new java.io.BufferedReader(new java.io.InputStreamReader(driver.getInputStream()))
                        .readLine()
                        .trim()
                        .split(" ");
        List<Long> pids = new ArrayList<>(List.of(Long.parseLong(line[0])));
        if (!line[1].equals("none")) {
            pids.add(Long.parseLong(line[1])); // the fork server, where cc could build it
        }
        assertTrue(ProcessHandle.of(pids.get(0)).isPresent());
        driver.destroyForcibly().waitFor();
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(20, TimeUnit.SECONDS).join());
            assertTrue(
                    ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true),
                    "process " + pid + " outlived its driver: " + pids);
        }
    }

    @Test
    void noSharedMemoryOutlivesADriverKilledWithSigkillMidBatch() throws Exception {
        Process driver =
                JvmLauncher.start(BusyDriverMain.class.getName(), List.of("-Xmx256m"), List.of());
        String line =
                new java.io.BufferedReader(new java.io.InputStreamReader(driver.getInputStream()))
                        .readLine();
        long workerPid = Long.parseLong(line.trim());
        List<Path> slotDirs = slotDirectoriesOf(driver.pid());
        assertEquals(1, slotDirs.size(), "the worker's slot directory exists: " + slotDirs);
        driver.destroyForcibly().waitFor();
        ProcessHandle.of(workerPid)
                .ifPresent(h -> h.onExit().orTimeout(20, TimeUnit.SECONDS).join());
        assertEquals(List.of(), slotDirectoriesOf(driver.pid()), "nothing left in shared memory");
    }

    @Test
    void slotDirectoriesOfDeadDriversAreSweptAndLiveOnesKept() throws Exception {
        Path base = BatchSlots.baseDirectory();
        Path dead = Files.createDirectory(base.resolve(BatchSlots.PREFIX + "999999999-1-dead"));
        Files.write(dead.resolve("slot-0"), new byte[4096]);
        BatchSlots mine = BatchSlots.create();
        try {
            assertTrue(Files.notExists(dead), dead + " was left by a dead driver: removed");
            BatchSlots.sweep(base);
            assertTrue(Files.isDirectory(mine.directory()), "a live driver's slots are kept");
        } finally {
            mine.close();
            BatchSlots.deleteTree(dead);
        }
        assertTrue(Files.notExists(mine.directory()));
    }

    private static List<Path> slotDirectoriesOf(long driverPid) throws IOException {
        try (Stream<Path> s = Files.list(BatchSlots.baseDirectory())) {
            return s.filter(
                            p ->
                                    p.getFileName()
                                            .toString()
                                            .startsWith(BatchSlots.PREFIX + driverPid + "-"))
                    .toList();
        }
    }

    /** Sleeps a minute on every batch. */
    static final class Sleeper implements ActorSpec {
        private static final long serialVersionUID = 1L;

        @Override
        public String name() {
            return "Sleeper";
        }

        @Override
        public BatchProcessor create() {
            return (input, allocator) -> {
                Thread.sleep(60_000);
                return null;
            };
        }
    }

    /**
     * A driver JVM whose one worker is busy with a batch (its input and output in shared memory):
     * prints the worker's pid once the batch is there, then waits to be killed.
     */
    public static final class BusyDriverMain {
        public static void main(String[] args) throws Exception {
            ProcessRuntime runtime = new ProcessRuntime();
            ActorHandle actor = runtime.start(new Sleeper(), "busy");
            actor.ready().get(60, TimeUnit.SECONDS);
            BufferAllocator allocator = new RootAllocator();
            actor.submit(batch(allocator, 1, 2, 3), allocator);
            Thread.sleep(1_000);
            System.out.println(runtime.workerPids().get(0));
            System.out.flush();
            Thread.sleep(120_000);
        }
    }

    /**
     * A driver JVM that starts one worker, prints its pid and its fork server's, and waits to be
     * killed.
     */
    public static final class DriverMain {
        public static void main(String[] args) throws Exception {
            ProcessRuntime runtime = new ProcessRuntime();
            runtime.start(new Doubler(false), "orphan-check").ready().get(60, TimeUnit.SECONDS);
            OptionalLong server = ZygoteLauncher.serverPid();
            System.out.println(
                    runtime.workerPids().get(0)
                            + " "
                            + (server.isPresent() ? Long.toString(server.getAsLong()) : "none"));
            System.out.flush();
            Thread.sleep(120_000);
        }
    }
}
