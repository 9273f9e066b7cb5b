package io.rayzerocopy.spark;

import io.rayzerocopy.internal.exec.JvmLauncher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A standalone Spark cluster of two "machines" on this host, for the tests: a Master on 127.0.0.1
 * and two Workers on 127.0.0.2 and 127.0.0.3 (2 cores each), plain {@code java} processes with this
 * JVM's classpath ({@code SPARK_DIST_CLASSPATH}, which their executors get too) and the stand-in
 * {@code SPARK_HOME}; each Worker has a store directory of its own ({@code RZC_STORE_DIR} in its
 * environment, inherited by its executors), as two machines have two {@code /dev/shm}.
 */
final class TwoNodeCluster implements AutoCloseable {
    static final List<String> HOSTS = List.of("127.0.0.2", "127.0.0.3");

    private final Path dir;
    private final int port;
    private final Process master;
    private final List<Process> workers = new ArrayList<>();

    private TwoNodeCluster(Path dir, int port, Process master) {
        this.dir = dir;
        this.port = port;
        this.master = master;
    }

    /** Starts the Master and both Workers and waits until both Workers registered. */
    static TwoNodeCluster start(Path dir) throws IOException, InterruptedException {
        Path home = Paths.get(System.getenv("SPARK_HOME"));
        Files.createDirectories(home.resolve("jars"));
        Files.createDirectories(home.resolve("launcher/target/scala-2.13"));
        int port = freePort();
        // The tests' log configuration, and the Master's registrations, which awaitWorkers reads.
        Files.writeString(
                dir.resolve("log4j2.properties"),
                String.join(
                        "\n",
                        "rootLogger.level = warn",
                        "rootLogger.appenderRef.stderr.ref = console",
                        "appender.console.type = Console",
                        "appender.console.name = console",
                        "appender.console.target = SYSTEM_ERR",
                        "appender.console.layout.type = PatternLayout",
                        "appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex",
                        "logger.master.name = org.apache.spark.deploy.master.Master",
                        "logger.master.level = info"));
        Process master =
                launch(
                        dir.resolve("master.log"),
                        Map.of("SPARK_LOCAL_IP", "127.0.0.1"),
                        "org.apache.spark.deploy.master.Master",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        String.valueOf(port),
                        "--webui-port",
                        "0");
        TwoNodeCluster cluster = new TwoNodeCluster(dir, port, master);
        try {
            for (String host : HOSTS) {
                cluster.workers.add(cluster.startWorker(host));
            }
            cluster.awaitWorkers();
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** Starts a new Worker at {@code host} in place of one that was killed. */
    void restartWorker(String host) throws IOException {
        workers.set(HOSTS.indexOf(host), startWorker(host));
    }

    private Process startWorker(String host) throws IOException {
        Files.createDirectories(workDir(host));
        return launch(
                dir.resolve("worker-" + host + ".log"),
                Map.of(
                        "SPARK_LOCAL_IP", host,
                        "SPARK_DIST_CLASSPATH", JvmLauncher.classpath(),
                        "RZC_STORE_DIR", storeDir(host).toString()),
                "org.apache.spark.deploy.worker.Worker",
                masterUrl(),
                "--host",
                host,
                "--cores",
                "2",
                "--memory",
                "2g",
                "--work-dir",
                workDir(host).toString(),
                "--webui-port",
                "0");
    }

    String masterUrl() {
        return "spark://127.0.0.1:" + port;
    }

    /** The store directory of the "machine" at {@code host}. */
    Path storeDir(String host) {
        return dir.resolve("store-" + host);
    }

    /** Where the Worker at {@code host} runs its executors (their logs are there). */
    Path workDir(String host) {
        return dir.resolve("work-" + host);
    }

    /** The Worker process at {@code host}. */
    Process worker(String host) {
        return workers.get(HOSTS.indexOf(host));
    }

    /** Lines containing {@code text} in the stderr logs of the executors at {@code host}. */
    long executorLogLines(String host, String text) throws IOException {
        long count = 0;
        try (Stream<Path> logs = Files.walk(workDir(host))) {
            for (Path log :
                    logs.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
                count += Files.readAllLines(log).stream().filter(l -> l.contains(text)).count();
            }
        }
        return count;
    }

    /** PIDs of the live executor JVMs of application {@code appId} at {@code host}. */
    static List<Long> executorPids(String appId, String host) {
        return SparkTests.executorPids(appId).stream()
                .filter(pid -> SparkTests.cmdline(pid).contains(" --hostname " + host + " "))
                .toList();
    }

    private void awaitWorkers() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Path log = dir.resolve("master.log");
        while (System.nanoTime() < deadline) {
            long registered =
                    Files.readAllLines(log).stream()
                            .filter(l -> l.contains("Registering worker"))
                            .count();
            if (registered >= HOSTS.size()) {
                return;
            }
            if (!master.isAlive() || workers.stream().anyMatch(w -> !w.isAlive())) {
                throw new IllegalStateException(
                        "the Spark master or a worker exited; see the logs in " + dir);
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the workers did not register in 60 s; see " + dir);
    }

    private static Process launch(Path log, Map<String, String> env, String main, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(sparkFlags());
        cmd.addAll(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        cmd.add("-Dlog4j2.configurationFile=" + log.resolveSibling("log4j2.properties"));
        cmd.add("-cp");
        cmd.add(JvmLauncher.classpath());
        cmd.add(main);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        return pb.start();
    }

    /** This JVM's --add-opens and Spark's flags, which the Master and Workers need as well. */
    private static List<String> sparkFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(
                        a ->
                                a.startsWith("--add-opens")
                                        || a.startsWith("--add-exports")
                                        || a.startsWith("-Djdk.reflect")
                                        || a.startsWith("-Dio.netty"))
                .toList();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Kills the Workers (their executors end with them or with the application) and Master. */
    @Override
    public void close() {
        for (Process p : workers) {
            p.destroyForcibly();
        }
        master.destroyForcibly();
        try {
            for (Process p : workers) {
                p.waitFor(10, TimeUnit.SECONDS);
            }
            master.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while stopping", e));
        }
    }
}
