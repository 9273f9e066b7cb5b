package io.rayzerocopy.internal.exec;

import io.rayzerocopy.internal.data.Allocators;
import io.rayzerocopy.internal.data.MappedBatch;
import io.rayzerocopy.internal.data.SettingNames;
import io.rayzerocopy.internal.model.Djl;
import io.rayzerocopy.internal.model.ProcessMemory;
import io.rayzerocopy.spi.ActorSpec;
import io.rayzerocopy.spi.BatchProcessor;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.UnixDomainSocketAddress;
import java.nio.MappedByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The main class of a worker process of {@link ProcessRuntime}: connects to the driver's Unix
 * domain socket (its first argument), builds one actor from the spec the driver sends, then answers
 * batches one at a time, reading each in place from a shared-memory slot of the directory named by
 * its second argument and writing the result into another ({@link BatchSlots}). It exits when the
 * socket closes, which happens when the driver exits or is killed (even with SIGKILL), and also if
 * the driver's pid disappears, so workers never outlive the driver; either way it deletes the slot
 * directory first.
 */
public final class WorkerMain {
    private WorkerMain() {}

    public static void main(String[] args) throws Exception {
        WorkerSlots slots = new WorkerSlots(Path.of(args[1]));
        SocketChannel channel;
        try {
            channel = SocketChannel.open(UnixDomainSocketAddress.of(args[0]));
        } catch (IOException driverGone) {
            slots.deleteDirectory();
            throw driverGone;
        }
        DataOutputStream out =
                new DataOutputStream(new BufferedOutputStream(SocketStreams.out(channel), 1 << 16));
        DataInputStream in =
                new DataInputStream(new BufferedInputStream(SocketStreams.in(channel), 1 << 16));
        watchParent(slots);
        BatchProcessor processor = null;
        BufferAllocator allocator = Allocators.child("worker-" + ProcessHandle.current().pid());
        bootEngine();
        long booted = System.nanoTime();
        for (WorkerProtocol.Frame f = WorkerProtocol.read(in);
                f != null;
                f = WorkerProtocol.read(in)) {
            switch (f.type()) {
                case INIT:
                    processor = construct(f, out, booted);
                    break;
                case CALL:
                    {
                        WorkerProtocol.Frame reply = call(processor, f, allocator, slots);
                        WorkerProtocol.write(out, reply.type(), f.id(), reply.payload());
                        break;
                    }
                case PSS:
                    WorkerProtocol.write(
                            out,
                            WorkerProtocol.Type.PSS,
                            f.id(),
                            WorkerProtocol.longBytes(ProcessMemory.selfPssKb()));
                    break;
                case STOP:
                    WorkerProtocol.write(
                            out,
                            WorkerProtocol.Type.STOPPED,
                            f.id(),
                            WorkerProtocol.bytes(stop(processor, allocator)));
                    slots.deleteDirectory();
                    System.exit(0);
                    break;
                default:
                    throw new IllegalStateException(
                            "a worker never gets a " + f.type() + " frame");
            }
        }
        // The driver is gone (exited, or killed before it could clean up): its batch slots go too.
        slots.deleteDirectory();
        System.exit(0);
    }

    /**
     * Builds the actor of an INIT frame and tells the driver READY (or ERROR); the actor, or
     * {@code null} if its constructor failed.
     */
    private static BatchProcessor construct(
            WorkerProtocol.Frame f, DataOutputStream out, long booted) throws IOException {
        ACTOR_CAME.set(true);
        // How long this worker, started ahead, waited for its actor: the driver subtracts it to
        // tell the worker's own start-up from the job's preparation.
        long waited = Math.max(0, System.nanoTime() - booted);
        try (ObjectInputStream ois = new ObjectInputStream(new ByteArrayInputStream(f.payload()))) {
            BatchProcessor processor = ((ActorSpec) ois.readObject()).create();
            WorkerProtocol.write(
                    out,
                    WorkerProtocol.Type.READY,
                    f.id(),
                    WorkerProtocol.longsBytes(ProcessHandle.current().pid(), waited / 1_000_000));
            return processor;
        } catch (Throwable t) {
            WorkerProtocol.write(
                    out, WorkerProtocol.Type.ERROR, f.id(), WorkerProtocol.bytes(describe(t)));
            return null;
        }
    }

    /**
     * Starts DJL's engine (libtorch), then warms up the per-batch code ({@link WorkerWarmup}) on a
     * thread of its own until the actor comes: the driver may have started this worker ahead of its
     * actor, and the warm-up uses that wait; an actor that is already waiting is constructed at
     * once, without the warm-up competing with it and its model's load. A failure is left to the
     * actor, which meets it again and reports it.
     */
    private static void bootEngine() {
        try {
            Djl.engine();
        } catch (Throwable ignored) {
            // reported by the actor that needs the engine
            return;
        }
        Thread warm =
                new Thread(
                        () -> {
                            try (BufferAllocator warmup = Allocators.child("warm-up")) {
                                WorkerWarmup.run(warmup, WARMUP_ROUNDS, ACTOR_CAME::get);
                            } catch (Throwable ignored) {
                                // only a warm-up: the real batches warm the code up instead
                            }
                        },
                        "rzc-warm-up");
        warm.setDaemon(true);
        warm.start();
    }

    /** Set when the actor arrives: the warm-up stops. */
    private static final AtomicBoolean ACTOR_CAME = new AtomicBoolean();

    /** Synthetic batches a new worker runs before its actor's (see {@link WorkerWarmup}). */
    private static final int WARMUP_ROUNDS = Integer.getInteger("rzc.worker.warmup", 300);

    private static WorkerProtocol.Frame call(
            BatchProcessor processor,
            WorkerProtocol.Frame f,
            BufferAllocator allocator,
            WorkerSlots slots) {
        int rows = -1;
        try {
            WorkerProtocol.Call call = WorkerProtocol.Call.parse(f.payload());
            AtomicBoolean inputReleased = new AtomicBoolean();
            MappedByteBuffer outSlot = slots.mapping(call.outSlot());
            MappedBatch.Descriptor written;
            try (VectorSchemaRoot input =
                    MappedBatch.read(
                            call.descriptor(),
                            slots.address(call.inSlot()),
                            allocator,
                            () -> inputReleased.set(true))) {
                rows = input.getRowCount();
                if (processor == null) {
                    throw new IllegalStateException("the actor was not constructed");
                }
                try (VectorSchemaRoot output = processor.process(input, allocator)) {
                    if (output == null) {
                        throw new IllegalStateException(
                                "the actor returned null instead of a batch");
                    }
                    written =
                            MappedBatch.write(
                                    output,
                                    MemoryUtil.getByteBufferAddress(outSlot),
                                    BatchSlots.CAPACITY);
                }
            }
            return new WorkerProtocol.Frame(
                    WorkerProtocol.Type.RESULT,
                    f.id(),
                    WorkerProtocol.result(inputReleased.get(), written.bytes()));
        } catch (OutOfMemoryError oom) {
            return new WorkerProtocol.Frame(
                    WorkerProtocol.Type.ERROR,
                    f.id(),
                    WorkerProtocol.bytes(outOfMemory(oom, rows)));
        } catch (Throwable t) {
            return new WorkerProtocol.Frame(
                    WorkerProtocol.Type.ERROR, f.id(), WorkerProtocol.bytes(describe(t)));
        }
    }

    /**
     * What a worker out of heap tells the driver: that it is memory, how much it had, the batch,
     * and the two fixes, named as the API spells them (a front end translates them).
     */
    static String outOfMemory(OutOfMemoryError oom, int rows) {
        long heapMb = Runtime.getRuntime().maxMemory() >> 20;
        long suggestedGb = Math.max(2, ((heapMb * 2) + 1023) >> 10);
        return "the worker process ran out of memory ("
                + oom.getMessage()
                + "; its heap is "
                + heapMb
                + " MB)"
                + (rows >= 0 ? " on a batch of " + rows + " rows" : "")
                + ": give worker JVMs more heap ("
                + SettingNames.WORKER_JVM_OPTIONS
                + " with -Xmx"
                + suggestedGb
                + "g), or pass fewer rows per batch ("
                + SettingNames.BATCH_SIZE
                + ")";
    }

    /**
     * Closes the actor, then its allocator, which fails if the actor leaked Arrow memory; returns
     * what went wrong, or an empty string.
     */
    private static String stop(BatchProcessor processor, BufferAllocator allocator) {
        StringBuilder failure = new StringBuilder();
        if (processor != null) {
            try {
                processor.close();
            } catch (Throwable t) {
                failure.append(describe(t));
            }
        }
        try {
            allocator.close();
        } catch (IllegalStateException leak) {
            failure.append("the actor leaked Arrow memory; close every vector it does not return: ")
                    .append(leak.getMessage());
        }
        return failure.toString();
    }

    static String describe(Throwable t) {
        StringWriter s = new StringWriter();
        t.printStackTrace(new PrintWriter(s));
        return s.toString();
    }

    private static void watchParent(WorkerSlots slots) {
        ProcessHandle.current()
                .parent()
                .ifPresent(
                        parent -> {
                            Thread t =
                                    new Thread(
                                            () -> {
                                                while (parent.isAlive()) {
                                                    try {
                                                        TimeUnit.SECONDS.sleep(1);
                                                    } catch (InterruptedException e) {
                                                        return;
                                                    }
                                                }
                                                slots.deleteDirectory();
                                                Runtime.getRuntime().halt(3);
                                            },
                                            "rzc-parent-watch");
                            t.setDaemon(true);
                            t.start();
                        });
    }
}
