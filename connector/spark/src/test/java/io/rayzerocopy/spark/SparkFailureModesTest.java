package io.rayzerocopy.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.internal.exec.JvmLauncher;
import io.rayzerocopy.spark.internal.compat.SparkLine;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * What a user can get wrong about the cluster fails fast, with a message naming the setting and the
 * fix: a malformed or unreachable master, executors that cannot start, no master at all, no Spark
 * on the classpath. Never a hang.
 */
class SparkFailureModesTest {
    @TempDir Path dir;

    /** How long the last failing job took (not the model and input prepared before it). */
    private long jobNanos;

    private Dataset job(Path features, ModelWrapper<?> wrapper, ExecutionOptions options) {
        @SuppressWarnings("unchecked")
        ModelWrapper<ai.djl.Model> model = (ModelWrapper<ai.djl.Model>) wrapper;
        return Dataset.readParquet(features.toString())
                .withOptions(options)
                .mapBatches(
                        ModelScorer::new,
                        ModelScorer.config(model).inputColumn("features").build(),
                        64,
                        ActorPoolStrategy.size(1));
    }

    private IllegalArgumentException failure(String master, String key, String value)
            throws Exception {
        Path features = dir.resolve("features");
        if (Files.notExists(features)) {
            SparkTests.writeFeatures(features, 1, 10);
        }
        try (ModelWrapper<?> wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR)) {
            ExecutionOptions.Builder options = SparkTests.options(master);
            if (key != null) {
                options.runtimeOption(key, value);
            }
            long t0 = System.nanoTime();
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    job(features, wrapper, options.build())
                                            .writeParquet(dir.resolve("out").toString()));
            jobNanos = System.nanoTime() - t0;
            System.out.printf(
                    "FAILMODE %s %s: %.2f s: %s%n",
                    master,
                    key == null ? "" : key + "=" + value,
                    jobNanos / 1e9,
                    e.getMessage());
            assertTrue(Files.notExists(dir.resolve("out")));
            SparkTests.assertNoLeftovers(dir.resolve("out"));
            assertTrue(SparkSession.getActiveSession().isEmpty(), "no session left running");
            return e;
        }
    }

    @Test
    void aMalformedMasterNamesTheForms() throws Exception {
        assertTrue(
                failure("local-cluster[2,1]", null, null)
                        .getMessage()
                        .contains("use local-cluster[N,C,M]"));
        assertTrue(failure("local-cluster[2,1,256]", null, null).getMessage().contains("M >= 512"));
    }

    @Test
    void anUnreachableMasterFailsInSeconds() throws Exception {
        IllegalArgumentException e = failure("spark://127.0.0.1:1", null, null);
        assertTrue(e.getMessage().contains("no Spark master reachable at spark://127.0.0.1:1"));
        assertTrue(jobNanos < 10_000_000_000L, "not Spark's 60 s");
    }

    @Test
    void executorsThatCannotStartFailTheJobInBoundedTime() throws Exception {
        IllegalArgumentException e =
                failure(
                        "local-cluster[1,1,1024]",
                        "spark.executor.extraClassPath",
                        "/nonexistent.jar");
        assertTrue(e.getMessage().contains("spark.executor.extraClassPath"), e.getMessage());
        assertTrue(e.getMessage().contains("Command exited with code 1"), e.getMessage());
        assertTrue(jobNanos < 90_000_000_000L, "bounded, not forever");
    }

    @Test
    void withoutAMasterOrARunningSessionTheErrorNamesTheOption() throws Exception {
        assertTrue(
                failure(null, null, null)
                        .getMessage()
                        .contains("set the runtime option spark.master"));
    }

    @Test
    void withoutSparkOnTheClasspathTheErrorNamesWhatToAdd() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : JvmLauncher.classpath().split(File.pathSeparator)) {
            String name = Paths.get(entry).getFileName().toString();
            if (!name.startsWith("spark-") && !name.startsWith("scala-")) {
                urls.add(Paths.get(entry).toUri().toURL());
            }
        }
        try (URLClassLoader noSpark =
                new URLClassLoader(
                        urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            Class<?> provider = noSpark.loadClass("io.rayzerocopy.spark.internal.SparkProvider");
            Object instance = provider.getConstructor().newInstance();
            assertEquals("spark", provider.getMethod("name").invoke(instance));
            Method write = null;
            for (Method m : provider.getMethods()) {
                if (m.getName().equals("writeParquet")) {
                    write = m;
                }
            }
            Method found = write;
            InvocationTargetException e =
                    assertThrows(
                            InvocationTargetException.class,
                            () -> found.invoke(instance, null, null, null));
            String message = e.getCause().getMessage();
            System.out.println("FAILMODE no Spark: " + message);
            assertTrue(e.getCause() instanceof IllegalArgumentException);
            assertTrue(message.contains(SparkLine.sqlArtifact()), message);
            assertTrue(message.contains("io.rayzerocopy:ray-zerocopy-spark"), message);
        }
    }
}
