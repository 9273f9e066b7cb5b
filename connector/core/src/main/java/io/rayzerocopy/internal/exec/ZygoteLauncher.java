package io.rayzerocopy.internal.exec;

import io.rayzerocopy.internal.model.CacheDirs;
import io.rayzerocopy.internal.model.Djl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts worker JVMs as children of a fork server, {@code rzc-zygote} ({@code rzc_zygote.c}), which
 * loaded libtorch and libjvm once: each worker then skips libtorch's ~270 ms of relocations and
 * static initialisers, and shares their ~50 MB with its siblings copy-on-write instead of holding a
 * private copy. One fork server per driver JVM, started with the first worker; it exits when the
 * driver does (its stdin closes), and its workers follow it.
 *
 * <p>The server is compiled on first use with the machine's C compiler ({@code cc}) against this
 * JDK's JNI headers, into {@code -Drzc.zygote.dir} (default {@code zygote} in
 * the user's cache directory, {@link CacheDirs}),
 * named by a hash of its source and the JDK. Where that is not possible (no compiler, a JRE without
 * headers, libtorch not found), or with {@code -Drzc.zygote=false}, workers start as plain JVMs, as
 * before: the fork server only saves time and memory.
 */
final class ZygoteLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(ZygoteLauncher.class);

    /** libtorch's libraries in the order they depend on each other, as DJL extracted them. */
    private static final List<String> TORCH_LIBRARIES =
            List.of("/libgomp", "/libc10.so", "/libtorch_cpu.so", "/libtorch.so");

    private static final String SOURCE = "rzc_zygote.c";

    private static final Object LOCK = new Object();
    private static ZygoteLauncher instance;
    private static boolean unavailable;

    private final Process server;
    private final Writer requests;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, CompletableFuture<Long>> spawning = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Integer>> exits = new ConcurrentHashMap<>();

    private ZygoteLauncher(Process server, BufferedReader events) {
        this.server = server;
        this.requests = new OutputStreamWriter(server.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> readEvents(events), "rzc-zygote-events");
        reader.setDaemon(true);
        reader.start();
        Thread errors = new Thread(() -> forwardErrors(server.getErrorStream()), "rzc-zygote-err");
        errors.setDaemon(true);
        errors.start();
    }

    /** A worker the fork server started: its pid, and its exit code once it exits. */
    record Child(long pid, CompletableFuture<Integer> exit) {}

    /** This JVM's fork server, started on first use; {@code null} where there can be none. */
    static ZygoteLauncher instance() {
        synchronized (LOCK) {
            if (instance != null && instance.server.isAlive()) {
                return instance;
            }
            if (unavailable || !Boolean.parseBoolean(System.getProperty("rzc.zygote", "true"))) {
                return null;
            }
            try {
                instance = start();
                return instance;
            } catch (IOException | RuntimeException e) {
                unavailable = true;
                LOG.info(
                        "worker JVMs start without a fork server ({}): each loads libtorch itself",
                        e.getMessage());
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    /** The pid of this JVM's fork server, if one is running. */
    static OptionalLong serverPid() {
        synchronized (LOCK) {
            return instance != null && instance.server.isAlive()
                    ? OptionalLong.of(instance.server.pid())
                    : OptionalLong.empty();
        }
    }

    /**
     * Starts {@code command} (a java command line from {@link JvmLauncher#command}) as a child of
     * the fork server: its options go to {@code optionsFile}, its stdout and stderr to the Unix
     * domain socket {@code output}, on which the caller listens.
     */
    Child spawn(List<String> command, Path optionsFile, Path output) throws IOException {
        Files.write(optionsFile, options(command), StandardCharsets.UTF_8);
        long id = ids.incrementAndGet();
        CompletableFuture<Long> pid = new CompletableFuture<>();
        spawning.put(id, pid);
        try {
            synchronized (requests) {
                requests.write("spawn " + id + " " + optionsFile + " " + output + "\n");
                requests.flush();
            }
            long child = pid.get(30, TimeUnit.SECONDS);
            CompletableFuture<Integer> exit =
                    exits.computeIfAbsent(child, p -> new CompletableFuture<>());
            exit.whenComplete((code, e) -> exits.remove(child));
            // If the server itself dies, its children follow it (their parent is gone) and their
            // exits go unreported: the process handle sees them, a little later.
            Runnable unreported =
                    () ->
                            CompletableFuture.delayedExecutor(2, TimeUnit.SECONDS)
                                    .execute(() -> exit.complete(-1));
            ProcessHandle.of(child)
                    .ifPresentOrElse(h -> h.onExit().thenRun(unreported), unreported);
            return new Child(child, exit);
        } catch (ExecutionException e) {
            throw new IOException(
                    "the fork server could not start a worker: " + e.getCause().getMessage(), e);
        } catch (TimeoutException e) {
            throw new IOException("the fork server did not answer within 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting a worker", e);
        } finally {
            spawning.remove(id);
        }
    }

    /**
     * The JNI invocation API's view of a java command line: the same options, the classpath as a
     * property, the main class and its arguments on lines of their own.
     */
    static List<String> options(List<String> command) {
        List<String> lines = new ArrayList<>();
        int i = 1;
        for (; i < command.size(); i++) {
            String arg = command.get(i);
            if (arg.equals("-cp") || arg.equals("-classpath")) {
                lines.add("-Djava.class.path=" + command.get(++i));
            } else if (arg.startsWith("-")) {
                lines.add(arg);
            } else {
                break;
            }
        }
        lines.add("main=" + command.get(i).replace('.', '/'));
        for (i++; i < command.size(); i++) {
            lines.add("arg=" + command.get(i));
        }
        return lines;
    }

    private void readEvents(BufferedReader events) {
        try {
            for (String line = events.readLine(); line != null; line = events.readLine()) {
                String[] f = line.split(" ", 3);
                switch (f[0]) {
                    case "pid" -> complete(f[1], Long.parseLong(f[2]), null);
                    case "error" -> complete(f[1], 0, f.length > 2 ? f[2] : "unknown error");
                    case "exit" ->
                            exits.computeIfAbsent(
                                            Long.parseLong(f[1]), p -> new CompletableFuture<>())
                                    .complete(Integer.parseInt(f[2]));
                    default -> LOG.debug("fork server: {}", line);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("fork server events ended: {}", e.toString());
        }
        IOException gone = new IOException("the fork server exited");
        spawning.values().forEach(f -> f.completeExceptionally(gone));
    }

    private void complete(String id, long pid, String error) {
        CompletableFuture<Long> f = spawning.get(Long.parseLong(id));
        if (f == null) {
            return;
        }
        if (error != null) {
            f.completeExceptionally(new IOException(error));
        } else {
            f.complete(pid);
        }
    }

    private static void forwardErrors(InputStream stream) {
        try (BufferedReader r =
                new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                System.err.println("[rzc-zygote] " + line);
            }
        } catch (IOException ignored) {
            // the server is gone
        }
    }

    private static ZygoteLauncher start() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(compile().toString());
        command.add(
                Paths.get(System.getProperty("java.home"), "lib", "server", "libjvm.so")
                        .toString());
        command.addAll(torchLibraries());
        ProcessBuilder builder = new ProcessBuilder(command);
        // glibc reads it when the server starts; its children, the workers, inherit it.
        builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
        Process server = builder.start();
        BufferedReader events =
                new BufferedReader(
                        new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String first;
        try {
            first = CompletableFuture.supplyAsync(() -> readLine(events)).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            first = null;
        }
        if (!"ready".equals(first)) {
            server.destroyForcibly();
            String why =
                    new String(server.getErrorStream().readNBytes(2048), StandardCharsets.UTF_8);
            throw new IOException("it did not start: " + why.strip());
        }
        LOG.debug("fork server {} started: {}", server.pid(), command);
        return new ZygoteLauncher(server, events);
    }

    private static String readLine(BufferedReader in) {
        try {
            return in.readLine();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The DJL cache directory this JVM's libtorch was loaded from ({@code <dir>/pytorch/<version>/
     * libtorch_cpu.so}), if it is loaded. Workers must load the same files: a fork server's
     * children already hold them, and a second copy of libtorch in one process aborts it; plain
     * workers then share their pages with the driver.
     */
    static Optional<String> loadedDjlCache() {
        String known = djlCache;
        if (known != null) {
            return Optional.of(known);
        }
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/maps"))) {
                int at = line.indexOf("/pytorch/");
                if (at > 0 && line.endsWith("/libtorch_cpu.so")) {
                    // A loaded library stays loaded: later workers need not read the maps again.
                    djlCache = line.substring(line.indexOf('/'), at);
                    return Optional.of(djlCache);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot read this process's mappings: {}", e.toString());
        }
        return Optional.empty();
    }

    /** Where {@link #loadedDjlCache} found libtorch; null until it has. */
    private static volatile String djlCache;

    /** The paths of libtorch's libraries, as this JVM loaded them (starting DJL's engine). */
    private static List<String> torchLibraries() throws IOException {
        Djl.engine();
        Map<String, String> found = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Paths.get("/proc/self/maps"))) {
            int slash = line.indexOf('/');
            if (slash < 0) {
                continue;
            }
            String path = line.substring(slash);
            for (String name : TORCH_LIBRARIES) {
                if (path.contains(name) && path.contains(".so")) {
                    found.putIfAbsent(name, path);
                }
            }
        }
        List<String> ordered = new ArrayList<>();
        for (String name : TORCH_LIBRARIES) {
            String path = found.get(name);
            if (path == null) {
                throw new IOException("libtorch's " + name.substring(1) + " is not loaded here");
            }
            ordered.add(path);
        }
        return ordered;
    }

    /** The fork server's binary, compiled now if this source and JDK have none yet. */
    private static Path compile() throws IOException, InterruptedException {
        byte[] source;
        try (InputStream in = ZygoteLauncher.class.getResourceAsStream(SOURCE)) {
            if (in == null) {
                throw new IOException(SOURCE + " is missing from the classpath");
            }
            source = in.readAllBytes();
        }
        Path javaHome = Paths.get(System.getProperty("java.home"));
        Path include = javaHome.resolve("include");
        if (!Files.isRegularFile(include.resolve("jni.h"))) {
            throw new IOException("this Java runtime has no JNI headers (" + include + ")");
        }
        String configured = System.getProperty("rzc.zygote.dir");
        Path dir = configured != null ? Paths.get(configured) : CacheDirs.of("zygote");
        Path binary = dir.resolve("rzc-zygote-" + hash(source, javaHome.toString()));
        if (Files.isExecutable(binary)) {
            return binary;
        }
        Files.createDirectories(dir);
        Path src = Files.createTempFile(dir, "rzc_zygote", ".c");
        Path out = Files.createTempFile(dir, "rzc-zygote", ".tmp");
        Path log = Files.createTempFile(dir, "rzc-zygote", ".log");
        try {
            Files.write(src, source);
            Process cc =
                    new ProcessBuilder(
                                    "cc",
                                    "-O2",
                                    "-o",
                                    out.toString(),
                                    src.toString(),
                                    "-I" + include,
                                    "-I" + include.resolve("linux"),
                                    "-ldl",
                                    "-lpthread")
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile())
                            .start();
            // Its output goes to a file, so the wait below is what bounds it.
            boolean finished = cc.waitFor(120, TimeUnit.SECONDS);
            if (!finished) {
                cc.destroyForcibly();
            }
            if (!finished || cc.exitValue() != 0) {
                String output = Files.readString(log, StandardCharsets.UTF_8).strip();
                throw new IOException(
                        finished
                                ? "cc could not compile it: " + output
                                : "cc did not finish within 120 s: " + output);
            }
            Files.move(out, binary, StandardCopyOption.ATOMIC_MOVE);
            return binary;
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("error=2")) {
                throw new IOException("no C compiler (cc) to build it", e);
            }
            throw e;
        } finally {
            Files.deleteIfExists(src);
            Files.deleteIfExists(out);
            Files.deleteIfExists(log);
        }
    }

    private static String hash(byte[] source, String javaHome) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(source);
            sha.update(javaHome.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
