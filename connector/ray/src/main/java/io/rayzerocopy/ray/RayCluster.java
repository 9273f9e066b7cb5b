package io.rayzerocopy.ray;

import io.ray.api.Ray;
import io.ray.runtime.AbstractRayRuntime;
import io.rayzerocopy.ray.internal.RayStoreSource;
import io.rayzerocopy.spi.StoreShipping;
import io.rayzerocopy.spi.WorkerJvms;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Starts and stops Ray in this JVM. With {@code -Dray.address=<head>:6379} {@link #start()} joins
 * that cluster; without an address it runs Ray's in-process LOCAL mode. Worker JVMs of a real
 * cluster get their classpath and JVM flags from the job: set them with {@link
 * #setCodeSearchPath(List)} and {@link #setWorkerJvmOptions(List)} before {@link #start()} (or pass
 * {@code -Dray.job.code-search-path=...} and {@code -Dray.job.jvm-options.0=...}, {@code .1=...} to
 * the driver). See docs/ray-cluster.md.
 */
public final class RayCluster {
    /**
     * System property with the cluster to join, {@code host:port}; blank or absent means LOCAL
     * mode.
     */
    public static final String ADDRESS = "ray.address";

    /** System property with Ray's run mode, {@code LOCAL} or {@code CLUSTER}. */
    public static final String RUN_MODE = "ray.run-mode";

    /**
     * System property with the jars and directories workers load job code from, colon-separated.
     */
    public static final String CODE_SEARCH_PATH = "ray.job.code-search-path";

    /**
     * Prefix of the indexed system properties ({@code .0}, {@code .1}, ...) with the workers' JVM
     * options.
     */
    public static final String JVM_OPTIONS = "ray.job.jvm-options";

    private static final Logger LOG = LoggerFactory.getLogger(RayCluster.class);
    private static final String LOCAL_SESSION_PREFIX = "session_local_mode_";

    private static boolean runModeSetHere;

    private RayCluster() {}

    /**
     * Initializes Ray unless it already is; returns true if this call initialized it. Without
     * {@value #ADDRESS} and {@value #RUN_MODE} it sets {@code ray.run-mode=LOCAL} first.
     */
    public static synchronized boolean start() {
        if (Ray.isInitialized()) {
            return false;
        }
        String address = System.getProperty(ADDRESS, "").trim();
        if (address.isEmpty() && System.getProperty(RUN_MODE) == null) {
            System.setProperty(RUN_MODE, "LOCAL");
            runModeSetHere = true;
        }
        String mode = System.getProperty(RUN_MODE, "CLUSTER");
        try {
            Ray.init();
        } catch (RuntimeException e) {
            if (runModeSetHere) {
                System.clearProperty(RUN_MODE);
                runModeSetHere = false;
            }
            throw new IllegalStateException(
                    address.isEmpty()
                            ? "Ray.init() with "
                                    + RUN_MODE
                                    + "="
                                    + mode
                                    + " and no "
                                    + ADDRESS
                                    + " failed: "
                                    + e
                                    + "; LOCAL mode needs the --add-opens flags of"
                                    + " WorkerJvms.requiredFlags(), CLUSTER mode needs "
                                    + ADDRESS
                                    + "=<head>:6379"
                            : "joining the Ray cluster at "
                                    + address
                                    + " failed: "
                                    + e
                                    + "; check that the head runs Ray 2.39.0 (`ray status` there)"
                                    + " and that "
                                    + ADDRESS
                                    + " is its GCS address, host:6379",
                    e);
        }
        LOG.info(
                "Ray started in {} mode{}",
                isLocalMode() ? "LOCAL" : "CLUSTER",
                address.isEmpty() ? "" : " at " + address);
        return true;
    }

    /**
     * Shuts Ray down if it is initialized; returns true if it was. In LOCAL mode it also deletes
     * the session directory this JVM's runtime created under /tmp/ray (never another process's).
     */
    public static synchronized boolean shutdown() {
        if (!Ray.isInitialized()) {
            return false;
        }
        Path localSession = isLocalMode() ? localSessionDir() : null;
        Ray.shutdown();
        if (runModeSetHere) {
            System.clearProperty(RUN_MODE);
            runModeSetHere = false;
        }
        if (localSession != null) {
            deleteSession(localSession);
        }
        return true;
    }

    /**
     * A copy of {@code value} whose model wrappers carry their weight stores as Ray objects, so
     * that a Ray actor you create yourself on another node can {@code load()} them: pass the copy
     * as the actor's argument, e.g. {@code Ray.actor(MyActor::new, RayCluster.publish(wrapper))}.
     * Each store is put once per call; the objects live as long as this driver holds them. Datasets
     * on the {@code ray} runtime do this on their own. Ray must be started.
     *
     * @throws IllegalArgumentException if {@code value} is not serializable
     */
    public static <T extends Serializable> T publish(T value) {
        if (!Ray.isInitialized()) {
            throw new IllegalStateException("Ray is not started; call RayCluster.start() first");
        }
        return StoreShipping.publishingWith(RayStoreSource::publish).withSources(value);
    }

    /** Whether the running Ray is in LOCAL mode (actors are threads of this JVM). */
    public static boolean isLocalMode() {
        if (!Ray.isInitialized()) {
            throw new IllegalStateException("Ray is not started; call RayCluster.start() first");
        }
        return Ray.getRuntimeContext().isLocalMode();
    }

    /**
     * Sets {@value #CODE_SEARCH_PATH} for the next {@link #start()}: where workers find our jars.
     */
    public static void setCodeSearchPath(List<Path> jarsOrDirectories) {
        if (jarsOrDirectories.isEmpty()) {
            throw new IllegalArgumentException(
                    "code search path is empty; pass the directory holding our jars");
        }
        System.setProperty(
                CODE_SEARCH_PATH,
                jarsOrDirectories.stream()
                        .map(p -> p.toAbsolutePath().toString())
                        .collect(Collectors.joining(":")));
    }

    /**
     * Sets the JVM options of the job's worker JVMs for the next {@link #start()}, replacing
     * earlier ones; {@link #defaultWorkerJvmOptions()} is the list our code needs.
     */
    public static void setWorkerJvmOptions(List<String> options) {
        for (int i = 0; System.getProperty(JVM_OPTIONS + "." + i) != null; i++) {
            System.clearProperty(JVM_OPTIONS + "." + i);
        }
        for (int i = 0; i < options.size(); i++) {
            System.setProperty(JVM_OPTIONS + "." + i, options.get(i));
        }
    }

    /**
     * What every worker JVM needs: the {@code --add-opens} flags of Ray and Arrow, the lean options
     * of a JVM hosting actors (a small young generation, the quick compiler; see {@link
     * WorkerJvms#actorOptions}, no heap maximum), DJL offline, one torch thread per actor, and
     * this JVM's {@code DJL_CACHE_DIR} if set (it must exist on each node).
     */
    public static List<String> defaultWorkerJvmOptions() {
        List<String> options = new ArrayList<>(WorkerJvms.requiredFlags());
        options.addAll(WorkerJvms.actorOptions());
        options.add("-Dai.djl.offline=true");
        options.add("-Dai.djl.pytorch.num_threads=1");
        options.add("-Dai.djl.pytorch.num_interop_threads=1");
        String cache = System.getProperty("DJL_CACHE_DIR");
        if (cache != null) {
            options.add("-DDJL_CACHE_DIR=" + cache);
        }
        return options;
    }

    private static Path localSessionDir() {
        if (!(Ray.internal() instanceof AbstractRayRuntime)) {
            return null;
        }
        String dir = ((AbstractRayRuntime) Ray.internal()).getRayConfig().sessionDir;
        if (dir == null) {
            return null;
        }
        Path path = Paths.get(dir);
        String name = path.getFileName().toString();
        boolean ours =
                name.startsWith(LOCAL_SESSION_PREFIX)
                        && name.endsWith("_" + ProcessHandle.current().pid());
        if (!ours) {
            LOG.warn(
                    "Not deleting Ray session directory {}: not a LOCAL-mode directory of this"
                            + " process",
                    path);
            return null;
        }
        return path;
    }

    private static void deleteSession(Path root) {
        try {
            WorkerJvms.deleteTree(root);
        } catch (IOException e) {
            LOG.warn(
                    "Could not delete Ray's LOCAL-mode session directory {}; delete it by hand",
                    root,
                    e);
        }
    }
}
