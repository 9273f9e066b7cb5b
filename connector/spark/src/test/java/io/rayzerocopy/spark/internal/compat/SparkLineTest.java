package io.rayzerocopy.spark.internal.compat;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.internal.exec.JvmLauncher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** The jar of one Spark line runs on that line and names the right jar on another. */
class SparkLineTest {
    @TempDir Path dir;

    @Test
    void theLineOnTheClasspathIsAccepted() {
        SparkLine.requireRunning();
    }

    @Test
    void anOlderParquetAheadOfOursIsRefusedWithTheFix() throws Exception {
        // As on Spark 4.0 (Parquet 1.15): the class core's Parquet has and older ones lack is gone.
        List<URL> urls = new ArrayList<>();
        for (String entry : JvmLauncher.classpath().split(File.pathSeparator)) {
            if (!Paths.get(entry).getFileName().toString().startsWith("parquet-column")) {
                urls.add(Paths.get(entry).toUri().toURL());
            }
        }
        String message = refusal(urls);
        assertTrue(message.contains("the Parquet on the classpath ("), message);
        assertTrue(message.contains("older than ray-zerocopy needs (1.16+"), message);
        assertTrue(message.contains("--conf spark.executor.extraClassPath=<jar>"), message);
    }

    @Test
    void anotherSparkLineIsRefusedWithTheJarToUse() throws Exception {
        // Spark reads its version from spark-version-info.properties: one of an older line first.
        Files.writeString(dir.resolve("spark-version-info.properties"), "version=3.4.4\n");
        List<URL> urls = new ArrayList<>(List.of(dir.toUri().toURL()));
        for (String entry : JvmLauncher.classpath().split(File.pathSeparator)) {
            urls.add(Paths.get(entry).toUri().toURL());
        }
        String message = refusal(urls);
        assertTrue(message.contains("built for " + SparkLine.describe()), message);
        assertTrue(message.contains("but Spark 3.4 (Scala "), message);
        assertTrue(message.contains("rzc-spark-spark3.4_"), message);
    }

    /** What SparkLine.requireRunning says, loaded from {@code urls} alone. */
    private static String refusal(List<URL> urls) throws Exception {
        try (URLClassLoader loader =
                new URLClassLoader(
                        urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            Class<?> line = loader.loadClass(SparkLine.class.getName());
            InvocationTargetException e =
                    assertThrows(
                            InvocationTargetException.class,
                            () -> line.getMethod("requireRunning").invoke(null));
            assertTrue(e.getCause() instanceof IllegalArgumentException, e.getCause().toString());
            return e.getCause().getMessage();
        }
    }
}
