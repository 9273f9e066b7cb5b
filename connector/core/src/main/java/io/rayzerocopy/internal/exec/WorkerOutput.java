package io.rayzerocopy.internal.exec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A worker's output (JVM notices, logs, user prints) forwarded to this process's stderr, one line
 * at a time with the worker's label: never on the frames' socket, so it cannot corrupt them.
 */
final class WorkerOutput {
    private WorkerOutput() {}

    /**
     * Copies one of a worker's streams (JVM notices, logs, user prints) to our stderr, one prefixed
     * line each, keeping the last few lines in {@code tail} for the message if the worker dies.
     */
    static Thread forward(
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
     * Forwards the output of a forked worker, which connects to {@code output} (its stdout and
     * stderr together), like {@link #forward}.
     */
    static Thread forwardAccepted(
            ServerSocketChannel output, AtomicReference<String> label, Deque<String> tail) {
        Thread t =
                new Thread(
                        () -> {
                            try {
                                SocketChannel worker = output.accept();
                                SocketStreams.closeQuietly(output);
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
}
