package io.rayzerocopy.internal.exec;

import io.rayzerocopy.internal.data.MappedBatch;
import io.rayzerocopy.internal.exec.WorkerLauncher.Spawned;
import io.rayzerocopy.spi.ActorDiedException;
import io.rayzerocopy.spi.ActorHandle;
import io.rayzerocopy.spi.ActorSpec;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectOutputStream;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The driver's side of one worker process: an {@link ActorHandle} speaking {@link WorkerProtocol}
 * over the worker's socket. One reader thread takes the worker's frames and completes the calls
 * waiting for them; a worker that goes away fails them all with {@link ActorDiedException}.
 */
final class WorkerClient implements ActorHandle {
    /** The runtime's logger: {@code rzc} shows its INFO lines (when each worker was ready). */
    private static final Logger LOG = LoggerFactory.getLogger(ProcessRuntime.class);


    private final String name;
    private final Spawned worker;
    private final long startTimeoutMillis;
    private final WorkerProcess process;
    private final BatchSlots slots;
    private volatile DataOutputStream toWorker;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final Map<Long, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile CompletableFuture<Void> stopped;

    WorkerClient(ActorSpec spec, String name, Spawned worker, long startTimeoutMillis) {
        this.name = name;
        this.worker = worker;
        this.process = worker.process;
        this.slots = worker.slots;
        this.startTimeoutMillis = startTimeoutMillis;
        byte[] specBytes = serialize(spec, worker);
        worker.label.set(name);
        Thread reader = new Thread(() -> run(specBytes), "rzc-worker-reader-" + name);
        reader.setDaemon(true);
        reader.start();
        killIfNotReadyInTime();
    }

    private static byte[] serialize(ActorSpec spec, Spawned worker) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(spec);
            }
            return bytes.toByteArray();
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
    }

    private void killIfNotReadyInTime() {
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

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive() && stopped == null;
    }

    /** The reader thread: sends the actor, reads frames until the worker goes, fails what waits. */
    private void run(byte[] specBytes) {
        SocketChannel channel = connect(specBytes);
        try (DataInputStream in =
                channel == null
                        ? new DataInputStream(InputStream.nullInputStream())
                        : new DataInputStream(
                                new BufferedInputStream(SocketStreams.in(channel), 1 << 16))) {
            for (WorkerProtocol.Frame f = WorkerProtocol.read(in);
                    f != null;
                    f = WorkerProtocol.read(in)) {
                onFrame(f);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("reading from worker of {} ended: {}", name, e.toString());
        }
        ActorDiedException died = died();
        ready.completeExceptionally(died);
        for (Long id : List.copyOf(pending.keySet())) {
            complete(id, null, died);
        }
    }

    /** Accepts the worker's connection and sends it the actor; null if the worker is gone. */
    private SocketChannel connect(byte[] specBytes) {
        try {
            SocketChannel channel = worker.server.accept();
            worker.closeServer();
            toWorker =
                    new DataOutputStream(
                            new BufferedOutputStream(SocketStreams.out(channel), 1 << 16));
            WorkerProtocol.write(toWorker, WorkerProtocol.Type.INIT, 0, specBytes);
            return channel;
        } catch (IOException e) {
            return null;
        }
    }

    private void onFrame(WorkerProtocol.Frame f) {
        switch (f.type()) {
            case READY:
                long sinceStart = (System.nanoTime() - worker.startedNanos) / 1_000_000;
                long waited = WorkerProtocol.longOf(f.payload(), 1);
                LOG.info(
                        "actor {} ready in worker pid {}: {} ms of the worker's own start-up (JVM,"
                                + " engine, warm-up, actor and model), {} ms after its JVM was"
                                + " started",
                        name,
                        WorkerProtocol.longOf(f.payload()),
                        sinceStart - waited,
                        sinceStart);
                ready.complete(null);
                break;
            case ERROR:
                if (f.id() == 0) {
                    ready.completeExceptionally(
                            new IllegalStateException(
                                    "actor "
                                            + name
                                            + " failed to construct in its worker process: "
                                            + WorkerProtocol.text(f.payload())));
                } else {
                    complete(
                            f.id(),
                            null,
                            new IllegalStateException(WorkerProtocol.text(f.payload())));
                }
                break;
            case RESULT:
            case PSS:
            case STOPPED:
                complete(f.id(), f.payload(), null);
                break;
            default:
                throw new IllegalStateException("a driver never gets a " + f.type() + " frame");
        }
    }

    /** How the worker ended, once its socket closed: exit code, and its last words if not ready. */
    private ActorDiedException died() {
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
            // A worker that never got ready usually could not start its JVM (a bad worker JVM
            // option, no memory): its last words say why.
            try {
                worker.stderrForwarder.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (worker.stderrTail) {
                why =
                        worker.stderrTail.isEmpty()
                                ? ""
                                : " before it was ready: " + String.join(" ", worker.stderrTail);
            }
        }
        return new ActorDiedException(
                "actor "
                        + name
                        + " died: its worker process "
                        + process.pid()
                        + " exited with code "
                        + code
                        + (code == 137 ? " (killed)" : "")
                        + why);
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

    private CompletableFuture<byte[]> send(WorkerProtocol.Type type, byte[] payload) {
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
        return send(WorkerProtocol.Type.CALL, call)
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
        return send(WorkerProtocol.Type.PSS, new byte[0]).thenApply(WorkerProtocol::longOf);
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
        send(WorkerProtocol.Type.STOP, new byte[0])
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
