package io.rayzerocopy.internal.spark.compat;

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
    void anotherSparkLineIsRefusedWithTheJarToUse() throws Exception {
        // Spark reads its version from spark-version-info.properties: one of an older line first.
        Files.writeString(dir.resolve("spark-version-info.properties"), "version=3.4.4\n");
        List<URL> urls = new ArrayList<>(List.of(dir.toUri().toURL()));
        for (String entry : JvmLauncher.classpath().split(File.pathSeparator)) {
            urls.add(Paths.get(entry).toUri().toURL());
        }
        try (URLClassLoader loader =
                new URLClassLoader(
                        urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            Class<?> line = loader.loadClass(SparkLine.class.getName());
            InvocationTargetException e =
                    assertThrows(
                            InvocationTargetException.class,
                            () -> line.getMethod("requireRunning").invoke(null));
            String message = e.getCause().getMessage();
            assertTrue(e.getCause() instanceof IllegalArgumentException, message);
            assertTrue(message.contains("built for " + SparkLine.describe()), message);
            assertTrue(message.contains("but Spark 3.4 (Scala "), message);
            assertTrue(message.contains("rzc-spark-spark3.4_"), message);
        }
    }
}
