package io.rayzerocopy.internal.storage;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 API server for a test class: S3Proxy with its filesystem backend, in a child JVM (its
 * Jetty, Netty 4.1 and logback would clash with the test JVM's classpath), on 127.0.0.1 and a free
 * port, path-style, requiring AWS signatures from one fixed key pair. A bucket is a directory of
 * the backend, so tests create buckets with {@link #createBucket}. Stopped by {@link #close()} or,
 * failing that, when the test JVM exits.
 */
public final class S3Server implements AutoCloseable {
    public static final String ACCESS_KEY = "rzc-test-access";
    public static final String SECRET_KEY = "rzc-test-secret-0123456789";

    private final Path basedir;
    private final int port;
    private final Thread stopAtExit;
    private Process process;

    private S3Server(Path basedir, int port, Process process) {
        this.basedir = basedir;
        this.port = port;
        this.process = process;
        this.stopAtExit = new Thread(this::kill, "s3proxy-stop");
        Runtime.getRuntime().addShutdownHook(stopAtExit);
    }

    /** Starts S3Proxy storing its buckets under {@code dir}; returns once it answers HTTP. */
    public static S3Server start(Path dir) throws IOException, InterruptedException {
        String jar = System.getProperty("rzc.test.s3proxy.jar");
        if (jar == null || !new File(jar).isFile()) {
            throw new IllegalStateException(
                    "S3Proxy's jar is missing (" + jar + "): run the tests through Maven, which"
                            + " copies org.gaul:s3proxy:jar-with-dependencies to target/s3proxy");
        }
        Path basedir = Files.createDirectories(dir.resolve("buckets"));
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Path properties = dir.resolve("s3proxy.properties");
        Files.writeString(
                properties,
                String.join(
                        "\n",
                        "s3proxy.endpoint=http://127.0.0.1:" + port,
                        "s3proxy.authorization=aws-v2-or-v4",
                        "s3proxy.identity=" + ACCESS_KEY,
                        "s3proxy.credential=" + SECRET_KEY,
                        "jclouds.provider=filesystem",
                        "jclouds.filesystem.basedir=" + basedir,
                        "jclouds.identity=unused",
                        "jclouds.credential=unused",
                        ""));
        Path logback = dir.resolve("s3proxy-logback.xml");
        Files.writeString(
                logback,
                "<configuration><appender name=\"err\""
                        + " class=\"ch.qos.logback.core.ConsoleAppender\"><target>System.err</target>"
                        + "<encoder><pattern>s3proxy %level %logger{20} %msg%n</pattern></encoder>"
                        + "</appender><root level=\"WARN\"><appender-ref ref=\"err\"/></root>"
                        + "</configuration>");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process =
                new ProcessBuilder(
                                List.of(
                                        java.toString(),
                                        "-Xmx256m",
                                        "-XX:TieredStopAtLevel=1",
                                        "-XX:+UseSerialGC",
                                        "-Dlogback.configurationFile=" + logback,
                                        "-jar",
                                        jar,
                                        "--properties",
                                        properties.toString()))
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("s3proxy.log").toFile())
                        .start();
        S3Server server = new S3Server(basedir, port, process);
        try {
            server.awaitHttp();
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void awaitHttp() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("S3Proxy exited with " + process.exitValue());
            }
            try {
                HttpURLConnection connection =
                        (HttpURLConnection) new URL(endpoint() + "/").openConnection();
                connection.setConnectTimeout(1000);
                connection.getResponseCode();
                connection.disconnect();
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("S3Proxy did not answer on " + endpoint(), notYet);
                }
                Thread.sleep(100);
            }
        }
    }

    /** {@code http://127.0.0.1:<port>} */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Creates bucket {@code name} (a directory of the backend); returns {@code s3a://name}. */
    public String createBucket(String name) throws IOException {
        Files.createDirectories(basedir.resolve(name));
        return "s3a://" + name;
    }

    /**
     * Copies the local file or directory {@code local} to {@code target} (a URI) with plain
     * streams (S3A's own copyFromLocalFile needs commons-collections4, which we do not ship).
     */
    public static void upload(Path local, String target) throws IOException {
        org.apache.hadoop.fs.FileSystem fs = Storage.fileSystem(target);
        List<Path> files;
        try (java.util.stream.Stream<Path> walk = Files.walk(local)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        for (Path file : files) {
            String relative = local.relativize(file).toString().replace(File.separatorChar, '/');
            org.apache.hadoop.fs.Path to =
                    new org.apache.hadoop.fs.Path(relative.isEmpty() ? target : target + "/" + relative);
            try (java.io.OutputStream out = fs.create(to, true)) {
                Files.copy(file, out);
            }
        }
    }

    /**
     * The keys of the objects in bucket {@code bucket} under {@code prefix} ({@code "a/b/"}), in
     * order: what a job left, read from the backend (whose empty directories S3 listings show,
     * though they hold no object).
     */
    public List<String> objects(String bucket, String prefix) throws IOException {
        Path root = basedir.resolve(bucket);
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile)
                    .map(p -> root.relativize(p).toString().replace(File.separatorChar, '/'))
                    .filter(key -> key.startsWith(prefix))
                    .sorted()
                    .toList();
        }
    }

    /**
     * The Hadoop settings that reach this server with S3A: endpoint, path-style access, no TLS,
     * and the key pair it accepts.
     */
    public Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("fs.s3a.endpoint", endpoint());
        settings.put("fs.s3a.endpoint.region", "us-east-1");
        settings.put("fs.s3a.path.style.access", "true");
        settings.put("fs.s3a.connection.ssl.enabled", "false");
        settings.put("fs.s3a.access.key", ACCESS_KEY);
        settings.put("fs.s3a.secret.key", SECRET_KEY);
        settings.put(
                "fs.s3a.aws.credentials.provider",
                "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        return settings;
    }

    /** The settings of {@link #settings()} as {@code --conf key=value} arguments of the CLI. */
    public List<String> confArguments() {
        return settings().entrySet().stream()
                .flatMap(e -> java.util.stream.Stream.of("--conf", e.getKey() + "=" + e.getValue()))
                .toList();
    }

    /** Stops the server (SIGKILL): requests fail from now on, as if the service died. */
    public void kill() {
        Process running = process;
        if (running != null && running.isAlive()) {
            running.destroyForcibly();
            try {
                running.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        kill();
        process = null;
        try {
            Runtime.getRuntime().removeShutdownHook(stopAtExit);
        } catch (IllegalStateException exiting) {
            // the JVM is exiting: the hook kills the server
        }
    }
}
