package io.rayzerocopy.spark.internal;

import io.rayzerocopy.spark.internal.compat.SparkLine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Spark master URL, checked before a session starts: its form, and for a standalone master
 * whether it accepts connections (else creating the session blocks for 60 s, three registration
 * attempts of 20 s that no setting shortens, and then fails).
 *
 * @param url the URL as given
 * @param kind what runs the executors
 * @param executors {@code N} of {@code local-cluster[N,C,M]}, else 0
 * @param cores {@code C} of {@code local-cluster[N,C,M]}, else 0
 * @param memoryMb {@code M} of {@code local-cluster[N,C,M]}, else 0
 * @param masters the {@code host:port}s of a {@code spark://} URL
 */
record MasterUrl(
        String url, Kind kind, int executors, int cores, int memoryMb, List<String> masters) {

    /** Where the executors run. */
    enum Kind {
        /** {@code local[...]}: tasks run in the driver JVM, there are no executors. */
        LOCAL,
        /** {@code local-cluster[N,C,M]}: N executor JVMs on this machine, started by Spark. */
        LOCAL_CLUSTER,
        /** {@code spark://host:port}: a standalone cluster. */
        STANDALONE,
        /** {@code yarn}, {@code k8s://...}: a cluster manager. */
        MANAGED
    }

    /** Spark needs about 450 MB of executor memory; 512 leaves room for our work. */
    static final int MIN_MEMORY_MB = 512;

    private static final Pattern LOCAL = Pattern.compile("local(\\[(\\*|\\d+)(,\\d+)?])?");
    private static final Pattern LOCAL_CLUSTER =
            Pattern.compile("local-cluster\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,\\s*(\\d+)\\s*]");
    private static final String FORMS =
            "use local-cluster[N,C,M] (N executor JVMs of C cores and M MB on this machine),"
                    + " spark://host:port, local[N], yarn or k8s://host:port";

    /**
     * @throws IllegalArgumentException if {@code url} is not a master URL, naming the forms
     */
    static MasterUrl parse(String url) {
        String u = url.trim();
        if (LOCAL.matcher(u).matches()) {
            return new MasterUrl(u, Kind.LOCAL, 0, 0, 0, List.of());
        }
        Matcher cluster = LOCAL_CLUSTER.matcher(u);
        if (cluster.matches()) {
            int n = Integer.parseInt(cluster.group(1));
            int c = Integer.parseInt(cluster.group(2));
            int m = Integer.parseInt(cluster.group(3));
            if (n < 1 || c < 1 || m < MIN_MEMORY_MB) {
                throw new IllegalArgumentException(
                        "master "
                                + u
                                + ": local-cluster[N,C,M] needs N >= 1 executors, C >= 1 cores and"
                                + " M >= "
                                + MIN_MEMORY_MB
                                + " MB each (Spark needs about 450 MB per executor), e.g."
                                + " local-cluster[2,1,1024]");
            }
            return new MasterUrl(u, Kind.LOCAL_CLUSTER, n, c, m, List.of());
        }
        if (u.startsWith("spark://")) {
            List<String> masters = new ArrayList<>();
            for (String hostPort : u.substring("spark://".length()).split(",")) {
                int colon = hostPort.lastIndexOf(':');
                if (hostPort.isBlank()
                        || colon <= 0
                        || !hostPort.substring(colon + 1).matches("\\d{1,5}")) {
                    throw new IllegalArgumentException(
                            "master " + u + ": a standalone master is spark://host:port");
                }
                masters.add(hostPort);
            }
            return new MasterUrl(u, Kind.STANDALONE, 0, 0, 0, List.copyOf(masters));
        }
        if (u.equals("yarn") || u.startsWith("k8s://")) {
            return new MasterUrl(u, Kind.MANAGED, 0, 0, 0, List.of());
        }
        throw new IllegalArgumentException(
                "master '" + url + "' is not a Spark master URL: " + FORMS);
    }

    /**
     * For {@code yarn} and {@code k8s://}: fails unless Spark's support for that cluster manager is
     * on the classpath (else Spark fails after the session started, with "Could not parse Master
     * URL").
     *
     * @throws IllegalArgumentException naming the artifact to add and how else to run
     */
    void checkSupported() {
        if (kind != Kind.MANAGED) {
            return;
        }
        boolean yarn = url.equals("yarn");
        String manager =
                yarn
                        ? "org.apache.spark.scheduler.cluster.YarnClusterManager"
                        : "org.apache.spark.scheduler.cluster.k8s.KubernetesClusterManager";
        try {
            Class.forName(manager, false, MasterUrl.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException(
                    "master "
                            + url
                            + " needs Spark's "
                            + (yarn ? "YARN" : "Kubernetes")
                            + " support, which is not on this classpath (rzc brings Spark's core"
                            + " only): add "
                            + SparkLine.artifact(yarn ? "spark-yarn" : "spark-kubernetes")
                            + " and its dependencies"
                            + (yarn
                                    ? ", with the cluster's configuration in HADOOP_CONF_DIR or"
                                            + " YARN_CONF_DIR,"
                                    : "")
                            + " or submit connector/spark's rzc-spark.jar with the spark-submit of a"
                            + " Spark distribution (docs/spark.md)");
        }
    }

    /**
     * For a standalone master: fails unless one of its masters accepts a TCP connection within
     * {@code timeout}.
     *
     * @throws IllegalArgumentException naming the URL, the errors and the fix
     */
    void checkReachable(Duration timeout) {
        if (kind != Kind.STANDALONE) {
            return;
        }
        List<String> failures = new ArrayList<>();
        for (String hostPort : masters) {
            int colon = hostPort.lastIndexOf(':');
            try (Socket socket = new Socket()) {
                socket.connect(
                        new InetSocketAddress(
                                hostPort.substring(0, colon),
                                Integer.parseInt(hostPort.substring(colon + 1))),
                        (int) timeout.toMillis());
                return;
            } catch (IOException | IllegalArgumentException e) {
                failures.add(hostPort + ": " + e.getMessage());
            }
        }
        throw new IllegalArgumentException(
                "no Spark master reachable at "
                        + url
                        + " "
                        + failures
                        + "; check the URL and that the master runs (its log prints"
                        + " 'Starting Spark master at spark://...')");
    }

    /** Executors worth waiting for before a job starts. */
    int defaultMinExecutors() {
        return switch (kind) {
            case LOCAL -> 0;
            case LOCAL_CLUSTER -> executors;
            default -> 1;
        };
    }

    /** Whether every executor runs on this machine, as far as the URL tells. */
    boolean onThisMachine() {
        return switch (kind) {
            case LOCAL, LOCAL_CLUSTER -> true;
            case STANDALONE ->
                    masters.stream()
                            .allMatch(h -> isThisMachine(h.substring(0, h.lastIndexOf(':'))));
            case MANAGED -> false;
        };
    }

    /** Whether {@code host} names an address of this machine. */
    static boolean isThisMachine(String host) {
        try {
            InetAddress address = InetAddress.getByName(host);
            return address.isLoopbackAddress()
                    || address.isAnyLocalAddress()
                    || NetworkInterface.getByInetAddress(address) != null;
        } catch (UnknownHostException | SocketException e) {
            return false;
        }
    }
}
