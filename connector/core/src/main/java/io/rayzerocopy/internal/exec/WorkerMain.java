package io.rayzerocopy.internal.exec;

import io.rayzerocopy.internal.data.Allocators;
import io.rayzerocopy.internal.data.ArrowIpc;
import io.rayzerocopy.internal.model.ProcessMemory;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.ObjectInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * The main class of a worker process of {@link ProcessRuntime}: connects to the driver's Unix
 * domain socket (its only argument), builds one actor from the spec the driver sends, then answers
 * batches one at a time. It exits when the socket closes, which happens when the driver exits or is
 * killed (even with SIGKILL), and also if the driver's pid disappears, so workers never outlive the
 * driver.
 */
public final class WorkerMain {
    private WorkerMain() {}

    public static void main(String[] args) throws Exception {
        SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(args[0]));
        DataOutputStream out =
                new DataOutputStream(new BufferedOutputStream(SocketStreams.out(channel), 1 << 16));
        DataInputStream in =
                new DataInputStream(new BufferedInputStream(SocketStreams.in(channel), 1 << 16));
        watchParent();
        BatchProcessor processor = null;
        BufferAllocator allocator = Allocators.child("worker-" + ProcessHandle.current().pid());
        for (WorkerProtocol.Frame f = WorkerProtocol.read(in);
                f != null;
                f = WorkerProtocol.read(in)) {
            switch (f.type) {
                case WorkerProtocol.INIT:
                    try (ObjectInputStream ois =
                            new ObjectInputStream(new ByteArrayInputStream(f.payload))) {
                        processor = ((ActorSpec) ois.readObject()).create();
                        WorkerProtocol.write(
                                out,
                                WorkerProtocol.READY,
                                f.id,
                                WorkerProtocol.longBytes(ProcessHandle.current().pid()));
                    } catch (Throwable t) {
                        WorkerProtocol.write(
                                out, WorkerProtocol.ERROR, f.id, WorkerProtocol.bytes(describe(t)));
                    }
                    break;
                case WorkerProtocol.CALL:
                    {
                        WorkerProtocol.Frame reply = call(processor, f, allocator);
                        WorkerProtocol.write(out, reply.type, f.id, reply.payload);
                        break;
                    }
                case WorkerProtocol.PSS:
                    WorkerProtocol.write(
                            out,
                            WorkerProtocol.PSS,
                            f.id,
                            WorkerProtocol.longBytes(ProcessMemory.selfPssKb()));
                    break;
                case WorkerProtocol.STOP:
                    WorkerProtocol.write(
                            out,
                            WorkerProtocol.STOPPED,
                            f.id,
                            WorkerProtocol.bytes(stop(processor, allocator)));
                    System.exit(0);
                    break;
                default:
                    throw new IllegalStateException("unknown frame type " + f.type);
            }
        }
        System.exit(0);
    }

    private static WorkerProtocol.Frame call(
            BatchProcessor processor, WorkerProtocol.Frame f, BufferAllocator allocator) {
        try (VectorSchemaRoot input = ArrowIpc.read(f.payload, allocator)) {
            if (processor == null) {
                throw new IllegalStateException("the actor was not constructed");
            }
            try (VectorSchemaRoot output = processor.process(input, allocator)) {
                if (output == null) {
                    throw new IllegalStateException("the actor returned null instead of a batch");
                }
                return new WorkerProtocol.Frame(
                        WorkerProtocol.RESULT, f.id, ArrowIpc.write(output));
            }
        } catch (Throwable t) {
            return new WorkerProtocol.Frame(
                    WorkerProtocol.ERROR, f.id, WorkerProtocol.bytes(describe(t)));
        }
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

    private static void watchParent() {
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
                                                Runtime.getRuntime().halt(3);
                                            },
                                            "rzc-parent-watch");
                            t.setDaemon(true);
                            t.start();
                        });
    }
}
