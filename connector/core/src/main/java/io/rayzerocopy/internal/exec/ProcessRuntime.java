package io.rayzerocopy.internal.exec;

import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.internal.data.MappedBatch;
import io.rayzerocopy.spi.ActorDiedException;
import io.rayzerocopy.spi.ActorHandle;
import io.rayzerocopy.spi.ActorRuntime;
import io.rayzerocopy.spi.ActorSpec;
import io.rayzerocopy.spi.RuntimeProvider;
import io.rayzerocopy.spi.RuntimeSettings;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.ObjectOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Actors in worker JVMs on this machine, started with this JVM's classpath and flags. Batches go to
 * a worker and back through shared memory ({@link BatchSlots}): the driver copies a batch's Arrow
 * buffers once into a slot both processes map, the worker reads them in place and writes its result
 * into another slot, which the driver reads in place; only small frames cross the Unix domain
 * socket. Each worker maps the same weight store, so N workers hold one copy of the weights (the
 * cross-process zero-copy case). Workers exit when the driver does, even when it is killed with
 * SIGKILL (their socket closes), and report their own PSS. A worker that dies fails its calls with
 * {@link ActorDiedException}.
 */
public final class ProcessRuntime implements ActorRuntime {
    /** The {@code processes} runtime. */
    public static final class Provider implements RuntimeProvider {
        @Override
        public String name() {
            return RuntimeNames.PROCESSES;
        }

        @Override
        public ActorRuntime create(RuntimeSettings settings, BufferAllocator allocator) {
            return new ProcessRuntime(
                    settings.threadsPerActor(), settings.workerJvmOptions(), 120_000);
        }

        /**
         * Starts the job's first workers now, so that their JVMs boot while the driver checks the
         * input and opens its files; the job's actors then claim them.
         */
        @Override
        public Runnable prepare(RuntimeSettings settings, int actors) {
            List<String> args = jvmArgs(settings.threadsPerActor(), settings.workerJvmOptions());
            prestart(args, actors);
            return () -> discardSpares(args);
        }
    }

    private static List<String> jvmArgs(int threadsPerActor, List<String> workerJvmOptions) {
        List<String> args = new ArrayList<>(defaultJvmOptions(threadsPerActor));
        args.addAll(workerJvmOptions);
        return List.copyOf(args);
    }

    /**
     * The JVM options of every worker before the user's own: those of any JVM that hosts actors
     * ({@link JvmLauncher#actorJvmOptions()}), a heap cap (batches are not in it: they travel in
     * shared memory), our one-line logging, and the torch threads.
     */
    static List<String> defaultJvmOptions(int threadsPerActor) {
        List<String> options = new ArrayList<>();
        options.add("-Xmx512m");
        options.addAll(JvmLauncher.actorJvmOptions());
        options.add("-Dslf4j.provider=" + WorkerLogs.class.getName());
        options.add("-Dslf4j.internal.verbosity=WARN");
        options.add("-Dai.djl.pytorch.num_threads=" + threadsPerActor);
        options.add("-Dai.djl.pytorch.num_interop_threads=1");
        return options;
    }

    /** The class-data archive of workers on this JVM's classpath, or {@code null}. */
    private static final WorkerClassArchive CLASS_ARCHIVE =
            WorkerClassArchive.forClasspath(JvmLauncher.classpath());

    private static final Logger LOG = LoggerFactory.getLogger(ProcessRuntime.class);

    private final List<String> jvmArgs;
    private final long startTimeoutMillis;
    private final List<WorkerActor> actors = new ArrayList<>();

    /**
     * @param threadsPerActor torch intra-op threads of each worker (their CPUs)
     * @param workerJvmOptions JVM options of each worker after ours, so they win (e.g. {@code
     *     -Xmx2g})
     * @param startTimeoutMillis how long a worker may take to start and construct its actor
     */
    public ProcessRuntime(
            int threadsPerActor, List<String> workerJvmOptions, long startTimeoutMillis) {
        if (threadsPerActor < 1 || startTimeoutMillis < 1) {
            throw new IllegalArgumentException(
                    "threadsPerActor and startTimeoutMillis must be >= 1; got "
                            + threadsPerActor
                            + ", "
                            + startTimeoutMillis);
        }
        this.jvmArgs = jvmArgs(threadsPerActor, workerJvmOptions);
        this.startTimeoutMillis = startTimeoutMillis;
    }

    /** One torch thread per worker, our default JVM options, two minutes to start. */
    public ProcessRuntime() {
        this(1, List.of(), 120_000);
    }

    @Override
    public synchronized ActorHandle start(ActorSpec spec, String actorName) {
        Objects.requireNonNull(spec, "spec");
        Spawned worker = takeSpare(jvmArgs);
        WorkerActor actor =
                new WorkerActor(spec, actorName, worker != null ? worker : Spawned.start(jvmArgs));
        synchronized (actors) {
            actors.add(actor);
        }
        return actor;
    }

    /** PSS in kB of every live worker (each reads its own /proc/self/smaps_rollup). */
    public List<Long> workerPssKb() {
        List<CompletableFuture<Long>> all = new ArrayList<>();
        synchronized (actors) {
            for (WorkerActor a : actors) {
                if (a.alive()) {
                    all.add(a.pssKb());
                }
            }
        }
        List<Long> out = new ArrayList<>();
        for (CompletableFuture<Long> f : all) {
            out.add(f.orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> -1L).join());
        }
        return out;
    }

    /**
     * Removes the shared-memory batch directories ({@code /dev/shm/rzc-batches-*}) that this
     * user's drivers killed outright left; returns them. A new worker's start does it too.
     */
    public static List<Path> removeDeadBatchDirectories() {
        return BatchSlots.sweep();
    }

    /**
     * The worker processes of this JVM, whoever started them: its descendants but the fork server
     * (the workers it forks are its children, not this JVM's).
     */
    public static Set<Long> workerProcesses() {
        OptionalLong server = ZygoteLauncher.serverPid();
        return ProcessHandle.current()
                .descendants()
                .filter(ProcessHandle::isAlive)
                .map(ProcessHandle::pid)
                .filter(pid -> server.isEmpty() || pid != server.getAsLong())
                .collect(Collectors.toSet());
    }

    /** Process ids of the live workers. */
    public List<Long> workerPids() {
        List<Long> pids = new ArrayList<>();
        synchronized (actors) {
            for (WorkerActor a : actors) {
                if (a.alive()) {
                    pids.add(a.process.pid());
                }
            }
        }
        return pids;
    }

    @Override
    public void close() {
        List<Long> pss = workerPssKb();
        if (!pss.isEmpty()) {
            long total = pss.stream().mapToLong(Long::longValue).filter(kb -> kb > 0).sum();
            LOG.info(
                    "{} worker processes at the end of the job: PSS {} MB in all ({} MB each on"
                            + " average; the weight store's pages are counted once among them)",
                    pss.size(),
                    total >> 10,
                    (total / pss.size()) >> 10);
        }
        ActorRuntime.stopAll(actors, 60);
        discardSpares(jvmArgs);
    }

    /**
     * Copies one of a worker's streams (JVM notices, logs, user prints) to our stderr, one prefixed
     * line each, keeping the last few lines in {@code tail} for the message if the worker dies.
     */
    private static Thread forward(
            InputStream stream, AtomicReference<String> label, Deque<String> tail) {
        Thread t =
                new Thread(
                        () -> {
                            try (BufferedReader r =
                                    new BufferedReader(
                                            new InputStreamReader(
                                                    stream, StandardCharsets.UTF_8))) {
                                for (String line = r.readLine();
                                        line != null;
                                        line = r.readLine()) {
                                    System.err.println("[" + label.get() + "] " + line);
                                    synchronized (tail) {
                                        tail.addLast(line.strip());
                                        if (tail.size() > 3) {
                                            tail.removeFirst();
                                        }
                                    }
                                }
                            } catch (IOException ignored) {
                                // the worker is gone
                            }
                        },
                        "rzc-worker-out");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * A worker JVM's process: a child of this JVM, or of the fork server ({@link ZygoteLauncher}).
     */
    interface WorkerProcess {
        long pid();

        boolean isAlive();

        /** Kills it (SIGKILL). */
        void kill();

        /** Its exit code once it has exited (128 + the signal if killed; -1 if unknown). */
        CompletableFuture<Integer> exitCode();
    }

    /** A worker started by this JVM itself. */
    private record ChildProcess(Process process) implements WorkerProcess {
        @Override
        public long pid() {
            return process.pid();
        }

        @Override
        public boolean isAlive() {
            return process.isAlive();
        }

        @Override
        public void kill() {
            process.destroyForcibly();
        }

        @Override
        public CompletableFuture<Integer> exitCode() {
            return process.onExit().thenApply(Process::exitValue);
        }
    }

    /** A worker the fork server started. */
    private record ForkedProcess(ZygoteLauncher.Child child) implements WorkerProcess {
        @Override
        public long pid() {
            return child.pid();
        }

        @Override
        public boolean isAlive() {
            return !child.exit().isDone() && ProcessHandle.of(child.pid()).isPresent();
        }

        @Override
        public void kill() {
            ProcessHandle.of(child.pid()).ifPresent(ProcessHandle::destroyForcibly);
        }

        @Override
        public CompletableFuture<Integer> exitCode() {
            return child.exit();
        }
    }

    /**
     * A worker JVM started before its actor is known: its process, the socket it connects to, its
     * batch slots and where its output goes. It boots (Arrow, DJL's engine) while it waits for its
     * actor; the driver accepts its connection when an actor claims it.
     */
    static final class Spawned {
        final WorkerProcess process;
        final ServerSocketChannel server;
        final Path socketDir;
        final BatchSlots slots;
        final AtomicReference<String> label;
        final Deque<String> stderrTail;
        final Thread stderrForwarder;
        final CompletableFuture<Void> exited = new CompletableFuture<>();
        final long startedNanos = System.nanoTime();

        private Spawned(
                WorkerProcess process,
                ServerSocketChannel server,
                Path socketDir,
                BatchSlots slots,
                AtomicReference<String> label,
                Deque<String> stderrTail,
                Thread stderrForwarder) {
            this.process = process;
            this.server = server;
            this.socketDir = socketDir;
            this.slots = slots;
            this.label = label;
            this.stderrTail = stderrTail;
            this.stderrForwarder = stderrForwarder;
            process.exitCode()
                    .whenComplete(
                            (code, e) -> {
                                exited.complete(null);
                                closeServer();
                                slots.close();
                            });
        }

        /**
         * Starts a worker JVM with {@code jvmArgs}: forked by the fork server where there is one,
         * else as a child of this JVM.
         */
        static Spawned start(List<String> jvmArgs) {
            BatchSlots slots;
            try {
                slots = BatchSlots.create();
            } catch (IOException e) {
                throw new IllegalStateException(
                        "cannot create a worker's shared-memory directory in "
                                + BatchSlots.baseDirectory()
                                + ": "
                                + e.getMessage(),
                        e);
            }
            // Frames go over a Unix domain socket, not the worker's stdout: whatever the JVM or
            // user code prints cannot corrupt them. Its directory lies inside the slot directory,
            // which names this driver, so a killed driver's sockets are swept with its slots.
            ServerSocketChannel server = null;
            try {
                Path socketDir = Files.createDirectory(slots.directory().resolve("connect"));
                Path socket = socketDir.resolve("s");
                server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                server.bind(UnixDomainSocketAddress.of(socket));
                Path[] archiveTo = {null};
                List<String> args = new ArrayList<>();
                if (CLASS_ARCHIVE != null) {
                    args.addAll(CLASS_ARCHIVE.options(archiveTo));
                }
                ZygoteLauncher zygote = ZygoteLauncher.instance();
                ZygoteLauncher.loadedDjlCache()
                        .ifPresent(dir -> args.add("-DDJL_CACHE_DIR=" + dir));
                args.addAll(jvmArgs);
                List<String> command =
                        JvmLauncher.command(
                                WorkerMain.class.getName(),
                                args,
                                List.of(socket.toString(), slots.directory().toString()));
                AtomicReference<String> label = new AtomicReference<>("worker");
                Deque<String> tail = new ArrayDeque<>();
                WorkerProcess process;
                Thread errors;
                if (zygote != null) {
                    ServerSocketChannel output =
                            ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                    try {
                        output.bind(UnixDomainSocketAddress.of(socketDir.resolve("o")));
                        process =
                                new ForkedProcess(
                                        zygote.spawn(
                                                command,
                                                socketDir.resolve("options"),
                                                socketDir.resolve("o")));
                    } catch (IOException | RuntimeException e) {
                        closeQuietly(output);
                        throw e;
                    }
                    errors = forwardAccepted(output, label, tail);
                    process.exitCode().whenComplete((code, e) -> closeQuietly(output));
                } else {
                    ProcessBuilder builder = new ProcessBuilder(command);
                    // One malloc arena per thread (glibc's default) leaves each of libtorch's
                    // threads holding its own free memory; two are enough for a worker.
                    builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
                    Process p = builder.start();
                    process = new ChildProcess(p);
                    forward(p.getInputStream(), label, new ArrayDeque<>());
                    errors = forward(p.getErrorStream(), label, tail);
                }
                label.set("worker " + process.pid());
                if (archiveTo[0] != null) {
                    Path written = archiveTo[0];
                    process.exitCode().thenAccept(code -> CLASS_ARCHIVE.commit(written, code));
                }
                return new Spawned(process, server, socketDir, slots, label, tail, errors);
            } catch (IOException e) {
                // Closing the slots deletes their directory, the sockets' directory with it.
                slots.close();
                if (server != null) {
                    closeQuietly(server);
                }
                throw new IllegalStateException("cannot start a worker JVM: " + e.getMessage(), e);
            }
        }

        void closeServer() {
            closeQuietly(server);
            BatchSlots.deleteTree(socketDir);
        }

        /** Ends a worker that will get no actor. */
        void kill() {
            process.kill();
            closeServer();
        }
    }

    private static void closeQuietly(ServerSocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing: nothing to do
        }
    }

    /**
     * Forwards the output of a forked worker, which connects to {@code output} (its stdout and
     * stderr together), like {@link #forward}.
     */
    private static Thread forwardAccepted(
            ServerSocketChannel output, AtomicReference<String> label, Deque<String> tail) {
        Thread t =
                new Thread(
                        () -> {
                            try {
                                SocketChannel worker = output.accept();
                                closeQuietly(output);
                                forward(SocketStreams.in(worker), label, tail).join();
                            } catch (IOException ignored) {
                                // the worker ended before it connected
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "rzc-worker-accept");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Workers started ahead of their actors ({@link Provider#prepare}), by their JVM options. */
    private static final Map<List<String>, Deque<Spawned>> SPARES = new HashMap<>();

    /** How long a worker started ahead waits for an actor before it is ended. */
    private static final long SPARE_SECONDS = 60;

    /** Starts workers until {@code count} with these options are waiting for an actor. */
    static void prestart(List<String> jvmArgs, int count) {
        int missing;
        synchronized (SPARES) {
            Deque<Spawned> spares = SPARES.computeIfAbsent(jvmArgs, k -> new ArrayDeque<>());
            spares.removeIf(w -> !w.process.isAlive());
            missing = count - spares.size();
        }
        // Started outside the lock: the first start may compile and boot the fork server, and
        // jobs taking or ending spares must not wait for that.
        for (int i = 0; i < missing; i++) {
            Spawned w = Spawned.start(jvmArgs);
            synchronized (SPARES) {
                SPARES.computeIfAbsent(jvmArgs, k -> new ArrayDeque<>()).addLast(w);
            }
            CompletableFuture.delayedExecutor(SPARE_SECONDS, TimeUnit.SECONDS)
                    .execute(
                            () -> {
                                boolean unclaimed;
                                synchronized (SPARES) {
                                    Deque<Spawned> spares = SPARES.get(jvmArgs);
                                    unclaimed = spares != null && spares.remove(w);
                                }
                                if (unclaimed) {
                                    w.kill();
                                }
                            });
        }
    }

    /** A live worker started ahead with these options, or {@code null}. */
    private static Spawned takeSpare(List<String> jvmArgs) {
        synchronized (SPARES) {
            Deque<Spawned> spares = SPARES.getOrDefault(jvmArgs, new ArrayDeque<>());
            for (Spawned w = spares.pollFirst(); w != null; w = spares.pollFirst()) {
                if (w.process.isAlive()) {
                    return w;
                }
            }
            return null;
        }
    }

    /** Ends the workers started ahead with these options that no actor claimed. */
    static void discardSpares(List<String> jvmArgs) {
        List<Spawned> unused;
        synchronized (SPARES) {
            Deque<Spawned> spares = SPARES.remove(jvmArgs);
            unused = spares == null ? List.of() : List.copyOf(spares);
        }
        unused.forEach(Spawned::kill);
    }

    private final class WorkerActor implements ActorHandle {
        private final String name;
        private final Spawned worker;
        private final WorkerProcess process;
        private final BatchSlots slots;
        private volatile DataOutputStream toWorker;
        private final CompletableFuture<Void> ready = new CompletableFuture<>();
        private final Map<Long, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
        private final AtomicLong ids = new AtomicLong();
        private volatile CompletableFuture<Void> stopped;

        WorkerActor(ActorSpec spec, String name, Spawned worker) {
            this.name = name;
            this.worker = worker;
            this.process = worker.process;
            this.slots = worker.slots;
            byte[] specBytes;
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                    out.writeObject(spec);
                }
                specBytes = bytes.toByteArray();
            } catch (IOException e) {
                worker.kill();
                throw new IllegalArgumentException(
                        "actor "
                                + spec.name()
                                + " cannot be sent to a worker process (is everything it holds"
                                + " Serializable?): "
                                + e,
                        e);
            }
            worker.label.set(name);
            Thread reader = new Thread(() -> readLoop(specBytes), "rzc-worker-reader-" + name);
            reader.setDaemon(true);
            reader.start();
            WorkerProcess p = process;
            CompletableFuture.delayedExecutor(startTimeoutMillis, TimeUnit.MILLISECONDS)
                    .execute(
                            () -> {
                                if (ready.completeExceptionally(
                                        new IllegalStateException(
                                                "actor "
                                                        + name
                                                        + " did not start within "
                                                        + startTimeoutMillis
                                                        + " ms (worker JVM start plus the actor's"
                                                        + " constructor); its worker "
                                                        + p.pid()
                                                        + " was killed. Check the worker's"
                                                        + " stderr above, or allow more time"))) {
                                    p.kill();
                                }
                            });
        }

        boolean alive() {
            return process.isAlive() && stopped == null;
        }

        private void readLoop(byte[] specBytes) {
            SocketChannel channel;
            try {
                channel = worker.server.accept();
                worker.closeServer();
                toWorker =
                        new DataOutputStream(
                                new BufferedOutputStream(SocketStreams.out(channel), 1 << 16));
                WorkerProtocol.write(toWorker, WorkerProtocol.INIT, 0, specBytes);
            } catch (IOException e) {
                channel = null;
            }
            try (DataInputStream in =
                    channel == null
                            ? new DataInputStream(InputStream.nullInputStream())
                            : new DataInputStream(
                                    new BufferedInputStream(SocketStreams.in(channel), 1 << 16))) {
                for (WorkerProtocol.Frame f = WorkerProtocol.read(in);
                        f != null;
                        f = WorkerProtocol.read(in)) {
                    switch (f.type) {
                        case WorkerProtocol.READY:
                            long sinceStart = (System.nanoTime() - worker.startedNanos) / 1_000_000;
                            long waited = WorkerProtocol.longOf(f.payload, 1);
                            LOG.info(
                                    "actor {} ready in worker pid {}: {} ms of the worker's own"
                                            + " start-up (JVM, engine, warm-up, actor and model),"
                                            + " {} ms after its JVM was started",
                                    name,
                                    WorkerProtocol.longOf(f.payload),
                                    sinceStart - waited,
                                    sinceStart);
                            ready.complete(null);
                            break;
                        case WorkerProtocol.ERROR:
                            if (f.id == 0) {
                                ready.completeExceptionally(
                                        new IllegalStateException(
                                                "actor "
                                                        + name
                                                        + " failed to construct in its worker"
                                                        + " process: "
                                                        + WorkerProtocol.text(f.payload)));
                            } else {
                                complete(
                                        f.id,
                                        null,
                                        new IllegalStateException(WorkerProtocol.text(f.payload)));
                            }
                            break;
                        case WorkerProtocol.RESULT:
                        case WorkerProtocol.PSS:
                        case WorkerProtocol.STOPPED:
                            complete(f.id, f.payload, null);
                            break;
                        default:
                            throw new IllegalStateException("unknown frame " + f.type);
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("reading from worker of {} ended: {}", name, e.toString());
            }
            int code;
            try {
                code = process.exitCode().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                code = -1;
            } catch (ExecutionException | TimeoutException e) {
                code = -1;
            }
            String why = "";
            if (!ready.isDone()) {
                // A worker that never got ready usually could not start its JVM (a bad worker
                // JVM option, no memory): its last words say why.
                try {
                    worker.stderrForwarder.join(2_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                synchronized (worker.stderrTail) {
                    why =
                            worker.stderrTail.isEmpty()
                                    ? ""
                                    : " before it was ready: "
                                            + String.join(" ", worker.stderrTail);
                }
            }
            ActorDiedException died =
                    new ActorDiedException(
                            "actor "
                                    + name
                                    + " died: its worker process "
                                    + process.pid()
                                    + " exited with code "
                                    + code
                                    + (code == 137 ? " (killed)" : "")
                                    + why);
            ready.completeExceptionally(died);
            for (Long id : List.copyOf(pending.keySet())) {
                complete(id, null, died);
            }
        }

        private void complete(long id, byte[] payload, Throwable error) {
            CompletableFuture<byte[]> f = pending.remove(id);
            if (f == null) {
                return;
            }
            if (error != null) {
                f.completeExceptionally(error);
            } else {
                f.complete(payload);
            }
        }

        private CompletableFuture<byte[]> send(byte type, byte[] payload) {
            long id = ids.incrementAndGet();
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            pending.put(id, f);
            DataOutputStream toWorker = this.toWorker;
            if (!process.isAlive() || toWorker == null) {
                complete(
                        id,
                        null,
                        new ActorDiedException(
                                "actor "
                                        + name
                                        + " died: its worker process "
                                        + process.pid()
                                        + " is gone"));
                return f;
            }
            try {
                WorkerProtocol.write(toWorker, type, id, payload);
            } catch (IOException e) {
                complete(
                        id,
                        null,
                        new ActorDiedException(
                                "actor "
                                        + name
                                        + " died: cannot write to worker process "
                                        + process.pid()
                                        + ": "
                                        + e.getMessage()));
            }
            return f;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public CompletableFuture<Void> ready() {
            return ready;
        }

        @Override
        public CompletableFuture<VectorSchemaRoot> submit(
                VectorSchemaRoot input, BufferAllocator resultAllocator) {
            return ready.thenCompose(v -> call(input, resultAllocator));
        }

        /**
         * Writes {@code input} into a free slot, names it and a slot for the output in a CALL, and
         * reads the result in place from the output slot, which is free again when the result is
         * closed.
         */
        private CompletableFuture<VectorSchemaRoot> call(
                VectorSchemaRoot input, BufferAllocator resultAllocator) {
            BatchSlots.Slot in;
            BatchSlots.Slot out;
            try {
                in = slots.acquire();
            } catch (IOException e) {
                return CompletableFuture.failedFuture(gone(e));
            }
            try {
                out = slots.acquire();
            } catch (IOException e) {
                slots.release(in);
                return CompletableFuture.failedFuture(gone(e));
            }
            byte[] call;
            try {
                call =
                        new WorkerProtocol.Call(
                                        in.index,
                                        out.index,
                                        MappedBatch.write(input, in.address, BatchSlots.CAPACITY)
                                                .bytes())
                                .encode();
            } catch (RuntimeException e) {
                slots.release(in);
                slots.release(out);
                return CompletableFuture.failedFuture(e);
            }
            return send(WorkerProtocol.CALL, call)
                    .handle(
                            (payload, error) -> {
                                if (error != null) {
                                    slots.release(in);
                                    slots.release(out);
                                    throw error instanceof CompletionException c
                                            ? c
                                            : new CompletionException(error);
                                }
                                if (WorkerProtocol.inputReleased(payload)) {
                                    slots.release(in);
                                } else {
                                    slots.retire(in);
                                }
                                try {
                                    return MappedBatch.read(
                                            WorkerProtocol.resultDescriptor(payload),
                                            out.address,
                                            resultAllocator,
                                            () -> slots.release(out));
                                } catch (RuntimeException e) {
                                    slots.release(out);
                                    throw e;
                                }
                            });
        }

        private ActorDiedException gone(IOException cause) {
            return new ActorDiedException(
                    "actor "
                            + name
                            + " died: its worker process "
                            + process.pid()
                            + " is gone ("
                            + cause.getMessage()
                            + ")");
        }

        CompletableFuture<Long> pssKb() {
            return send(WorkerProtocol.PSS, new byte[0]).thenApply(WorkerProtocol::longOf);
        }

        @Override
        public synchronized CompletableFuture<Void> stop() {
            if (stopped != null) {
                return stopped;
            }
            CompletableFuture<Void> result = new CompletableFuture<>();
            stopped = result;
            if (!process.isAlive()) {
                result.complete(null);
                return result;
            }
            // STOPPED comes after the actor and its allocator are closed (models released, leaks
            // checked); the process then exits by itself, which the job need not wait for.
            send(WorkerProtocol.STOP, new byte[0])
                    .orTimeout(30, TimeUnit.SECONDS)
                    .whenComplete(
                            (payload, e) -> {
                                if (e != null) {
                                    process.kill();
                                } else {
                                    worker.exited
                                            .orTimeout(10, TimeUnit.SECONDS)
                                            .whenComplete(
                                                    (v, late) -> {
                                                        if (process.isAlive()) {
                                                            process.kill();
                                                        }
                                                    });
                                }
                                if (payload != null && payload.length > 0) {
                                    result.completeExceptionally(
                                            new IllegalStateException(
                                                    "closing actor "
                                                            + name
                                                            + " failed: "
                                                            + WorkerProtocol.text(payload)));
                                } else {
                                    result.complete(null);
                                }
                            });
            return result;
        }
    }
}
