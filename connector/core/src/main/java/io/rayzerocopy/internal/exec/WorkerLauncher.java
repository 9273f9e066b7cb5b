package io.rayzerocopy.internal.exec;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Starts worker JVMs ({@link WorkerMain}) for the {@code processes} runtime: forked by the fork
 * server ({@link ZygoteLauncher}) where there is one, else as children of this JVM, each with its
 * shared-memory batch slots and the Unix domain socket it connects back to.
 */
final class WorkerLauncher {
    private WorkerLauncher() {}

    /** Our JVM options for a worker with {@code threadsPerActor} torch threads, then the user's. */
    static List<String> jvmArgs(int threadsPerActor, List<String> workerJvmOptions) {
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

        Spawned(
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

        void closeServer() {
            SocketStreams.closeQuietly(server);
            BatchSlots.deleteTree(socketDir);
        }

        /** Ends a worker that will get no actor. */
        void kill() {
            process.kill();
            closeServer();
        }
    }

    /** A started worker process and the thread forwarding its stderr. */
    private record Launched(WorkerProcess process, Thread errors) {}

    /**
     * Starts a worker JVM with {@code jvmArgs}: forked by the fork server where there is one, else
     * as a child of this JVM.
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
        // Frames go over a Unix domain socket, not the worker's stdout: whatever the JVM or user
        // code prints cannot corrupt them. Its directory lies inside the slot directory, which
        // names this driver, so a killed driver's sockets are swept with its slots.
        ServerSocketChannel server = null;
        try {
            Path socketDir = Files.createDirectory(slots.directory().resolve("connect"));
            Path socket = socketDir.resolve("s");
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            Path[] archiveTo = {null};
            // First: starting the fork server loads libtorch here, whose cache the command names.
            ZygoteLauncher zygote = ZygoteLauncher.instance();
            List<String> command = command(jvmArgs, socket, slots, archiveTo);
            AtomicReference<String> label = new AtomicReference<>("worker");
            Deque<String> tail = new ArrayDeque<>();
            Launched launched = launch(zygote, command, socketDir, label, tail);
            WorkerProcess process = launched.process();
            label.set("worker " + process.pid());
            if (archiveTo[0] != null) {
                Path written = archiveTo[0];
                process.exitCode().thenAccept(code -> CLASS_ARCHIVE.commit(written, code));
            }
            return new Spawned(process, server, socketDir, slots, label, tail, launched.errors());
        } catch (IOException e) {
            // Closing the slots deletes their directory, the sockets' directory with it.
            slots.close();
            if (server != null) {
                SocketStreams.closeQuietly(server);
            }
            throw new IllegalStateException("cannot start a worker JVM: " + e.getMessage(), e);
        }
    }

    /**
     * The worker's command line: the class-data archive's options (where it is written, if this
     * worker writes it, goes to {@code archiveTo[0]}), the fork server's DJL cache, {@code
     * jvmArgs}, then {@link WorkerMain} with the socket and the slot directory.
     */
    private static List<String> command(
            List<String> jvmArgs, Path socket, BatchSlots slots, Path[] archiveTo) {
        List<String> args = new ArrayList<>();
        if (CLASS_ARCHIVE != null) {
            args.addAll(CLASS_ARCHIVE.options(archiveTo));
        }
        ZygoteLauncher.loadedDjlCache().ifPresent(dir -> args.add("-DDJL_CACHE_DIR=" + dir));
        args.addAll(jvmArgs);
        return JvmLauncher.command(
                WorkerMain.class.getName(),
                args,
                List.of(socket.toString(), slots.directory().toString()));
    }

    /** Forks the worker with {@code zygote}, or starts it as a child where there is none. */
    private static Launched launch(
            ZygoteLauncher zygote,
            List<String> command,
            Path socketDir,
            AtomicReference<String> label,
            Deque<String> tail)
            throws IOException {
        if (zygote != null) {
            ServerSocketChannel output = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            WorkerProcess process;
            try {
                output.bind(UnixDomainSocketAddress.of(socketDir.resolve("o")));
                process =
                        new WorkerProcess.Forked(
                                zygote.spawn(
                                        command,
                                        socketDir.resolve("options"),
                                        socketDir.resolve("o")));
            } catch (IOException | RuntimeException e) {
                SocketStreams.closeQuietly(output);
                throw e;
            }
            Thread errors = WorkerOutput.forwardAccepted(output, label, tail);
            // Closed a moment after the worker exits, not at once: a worker that connected and
            // died at once (a bad JVM option) may not be accepted yet, and closing the server
            // would drop its connection and its last words with it.
            process.exitCode()
                    .whenComplete(
                            (code, e) ->
                                    CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS)
                                            .execute(() -> SocketStreams.closeQuietly(output)));
            return new Launched(process, errors);
        }
        ProcessBuilder builder = new ProcessBuilder(command);
        // One malloc arena per thread (glibc's default) leaves each of libtorch's threads holding
        // its own free memory; two are enough for a worker.
        builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
        Process p = builder.start();
        WorkerOutput.forward(p.getInputStream(), label, new ArrayDeque<>());
        Thread errors = WorkerOutput.forward(p.getErrorStream(), label, tail);
        return new Launched(new WorkerProcess.Child(p), errors);
    }
}
