package io.rayzerocopy.spark.internal;

import io.rayzerocopy.spark.RzcSparkPlugin;
import io.rayzerocopy.spark.SparkRuntime;
import io.rayzerocopy.spi.RuntimeSettings;
import io.rayzerocopy.spi.WorkerJvms;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The SparkSession a job runs in: the one already running in this JVM, or one the job starts from
 * its options and stops when it ends. A session the job starts is checked before and after it
 * starts, in bounded time: the master URL, the stand-in Spark home of {@code local-cluster}, and
 * that the executors come.
 */
public final class SparkSessions {
    private static final Logger LOG = LoggerFactory.getLogger(SparkSessions.class);
    private static final Duration MASTER_CHECK = Duration.ofSeconds(5);
    private static final int MAX_EXECUTOR_FAILURES = 3;

    private SparkSessions() {}

    /**
     * A session in use by a job; closing it stops the session if the job started it, and deletes
     * the scratch directory its processes on this machine wrote their temporary files in (null
     * when there is none).
     */
    record Handle(SparkSession session, boolean owned, Path scratch) implements AutoCloseable {
        SparkContext context() {
            return session.sparkContext();
        }

        @Override
        public void close() {
            if (owned) {
                stop(session);
                deleteScratch(scratch);
            }
        }
    }

    /**
     * The running session, or a new one for {@code options.master()} (or spark-submit's {@code
     * spark.master}) with its executors registered.
     *
     * @throws IllegalArgumentException with what to fix, if there is no master, the master is
     *     malformed or unreachable, a running session has another master, or the executors do not
     *     come
     */
    static Handle acquire(SparkOptions options) {
        SparkSession running = running();
        if (running != null) {
            String master = running.sparkContext().master();
            if (options.master() != null && !options.master().equals(master)) {
                throw new IllegalArgumentException(
                        "a SparkSession with master "
                                + master
                                + " already runs in this JVM, so "
                                + SparkRuntime.MASTER
                                + "="
                                + options.master()
                                + " cannot start; drop the option to use that session, or stop it"
                                + " first");
            }
            return new Handle(running, false, null);
        }
        String master =
                options.master() != null ? options.master() : System.getProperty("spark.master");
        if (master == null) {
            throw new IllegalArgumentException(
                    "runtime 'spark' has no master: set the runtime option "
                            + SparkRuntime.MASTER
                            + " (e.g. local-cluster[2,1,1024] or spark://host:7077; rzc: --master)"
                            + " or start a SparkSession in this JVM first");
        }
        MasterUrl url = MasterUrl.parse(master);
        url.checkSupported();
        url.checkReachable(MASTER_CHECK);
        // Spark's local directories and its executors' temp files (unpacked native libraries)
        // go to a directory named after this process, so a kill -9 leaves nothing that the next
        // job or `rzc store gc` does not remove.
        Path scratch = url.onThisMachine() ? WorkerJvms.scratchDirectory() : null;
        SparkConf conf = conf(url, options, scratch);
        long start = System.nanoTime();
        SparkSession session;
        try {
            session = SparkSession.builder().config(conf).getOrCreate();
        } catch (RuntimeException e) {
            deleteScratch(scratch);
            throw e;
        }
        try {
            int executors = options.minExecutors().orElse(url.defaultMinExecutors());
            if (executors > 0) {
                ExecutorWatch.on(session.sparkContext())
                        .await(
                                session.sparkContext(),
                                url.url(),
                                executors,
                                options.executorTimeout(),
                                MAX_EXECUTOR_FAILURES);
            }
        } catch (RuntimeException e) {
            stop(session);
            deleteScratch(scratch);
            throw e;
        }
        LOG.info(
                "started Spark {} with master {} in {} s",
                session.version(),
                url.url(),
                String.format("%.1f", (System.nanoTime() - start) / 1e9));
        return new Handle(session, true, scratch);
    }

    /**
     * A new session for the runtime options of {@code settings}, as {@link #acquire} starts one.
     *
     * @throws IllegalArgumentException as {@link #acquire} does, or if a session already runs
     */
    public static SparkSession start(RuntimeSettings settings) {
        if (running() != null) {
            throw new IllegalArgumentException(
                    "a SparkSession already runs in this JVM; stop it before starting another");
        }
        return acquire(SparkOptions.of(settings)).session();
    }

    /** The configuration of the session running in this JVM, or null. */
    static SparkConf runningConf() {
        SparkSession running = running();
        return running == null ? null : running.sparkContext().getConf();
    }

    /**
     * Stops a session the job started. Spark 3.5 keeps a stopped session as this thread's active
     * and the JVM's default one (4.x forgets it): a later job must not find it.
     */
    private static void stop(SparkSession session) {
        session.stop();
        if (SparkSession.getActiveSession().isDefined()
                && SparkSession.getActiveSession().get() == session) {
            SparkSession.clearActiveSession();
        }
        if (SparkSession.getDefaultSession().isDefined()
                && SparkSession.getDefaultSession().get() == session) {
            SparkSession.clearDefaultSession();
        }
    }

    private static void deleteScratch(Path scratch) {
        if (scratch == null) {
            return;
        }
        try {
            WorkerJvms.deleteTree(scratch);
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot delete {}: {}", scratch, e.toString());
        }
    }

    /** The active or default session of this JVM that is not stopped (3.5 keeps those), or null. */
    private static SparkSession running() {
        for (scala.Option<SparkSession> session :
                List.of(SparkSession.getActiveSession(), SparkSession.getDefaultSession())) {
            if (session.isDefined() && !session.get().sparkContext().isStopped()) {
                return session.get();
            }
        }
        return null;
    }

    /**
     * The configuration of a session the job starts: spark-submit's properties, the job's {@code
     * spark.*} options, our plugin, and for executors on this machine the classpath and JVM flags
     * of this JVM.
     */
    private static SparkConf conf(MasterUrl url, SparkOptions options, Path scratch) {
        SparkConf conf = new SparkConf().setMaster(url.url()).setIfMissing("spark.app.name", "rzc");
        options.sparkConf().forEach(conf::set);
        String plugins = conf.get("spark.plugins", "");
        if (!plugins.contains(RzcSparkPlugin.class.getName())) {
            conf.set(
                    "spark.plugins",
                    plugins.isBlank()
                            ? RzcSparkPlugin.class.getName()
                            : plugins + "," + RzcSparkPlugin.class.getName());
        }
        if (url.kind() == MasterUrl.Kind.LOCAL_CLUSTER) {
            standInSparkHome(url);
            conf.setIfMissing("spark.executor.memory", url.memoryMb() + "m");
            conf.setIfMissing("spark.executor.cores", String.valueOf(url.cores()));
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
            conf.setIfMissing("spark.ui.enabled", "false");
        }
        if (scratch != null) {
            conf.setIfMissing("spark.local.dir", scratch.toString());
        }
        if (url.kind() == MasterUrl.Kind.LOCAL_CLUSTER || url.onThisMachine()) {
            conf.setIfMissing("spark.executor.extraClassPath", WorkerJvms.classpath());
            List<String> flags = new ArrayList<>(executorFlags());
            if (scratch != null) {
                flags.add("-Djava.io.tmpdir=" + scratch);
            }
            if (url.kind() != MasterUrl.Kind.LOCAL_CLUSTER) {
                // A Worker's executors use the store directory of their node (its environment):
                // two Workers on one host may stand for two machines, or containers.
                flags.removeIf(flag -> flag.startsWith("-Drzc.store.dir="));
            }
            flags.addAll(options.workerJvmOptions());
            String given = conf.get("spark.executor.extraJavaOptions", "");
            conf.set(
                    "spark.executor.extraJavaOptions",
                    String.join(" ", flags) + (given.isBlank() ? "" : " " + given));
        }
        return conf;
    }

    /** What an executor of ours needs beyond Spark's own flags, as this JVM has it. */
    static List<String> executorFlags() {
        List<String> flags = new ArrayList<>(WorkerJvms.childFlags());
        if (System.getProperty("ai.djl.offline") == null) {
            flags.add("-Dai.djl.offline=true");
        }
        // Each executor core runs one task and each task a pool of actors: one torch thread each
        // keeps them from fighting over the cores (docs/spark.md, sizing).
        flags.add("-Dai.djl.pytorch.num_threads=1");
        flags.add("-Dai.djl.pytorch.num_interop_threads=1");
        return flags;
    }

    /**
     * local-cluster's Workers (threads of this JVM) build executor command lines from {@code
     * SPARK_HOME}: it must be set, and hold a {@code jars/} directory (empty: the executors get
     * this JVM's classpath).
     */
    private static void standInSparkHome(MasterUrl url) {
        String home = System.getenv("SPARK_HOME");
        if (home == null || home.isBlank()) {
            throw new IllegalArgumentException(
                    "master "
                            + url.url()
                            + " starts executor JVMs from SPARK_HOME, which is not set: export"
                            + " SPARK_HOME=<an empty directory> (no Spark download needed; ./rzc"
                            + " sets one up)");
        }
        Path dir = Paths.get(home);
        try {
            Files.createDirectories(dir.resolve("jars"));
            Files.createDirectories(dir.resolve("launcher/target/scala-2.13"));
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot prepare SPARK_HOME " + dir + " for " + url.url() + ": " + e, e);
        }
    }
}
