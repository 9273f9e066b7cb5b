package io.rayzerocopy.internal.spark;

import io.rayzerocopy.internal.exec.RuntimeSettings;

import org.apache.spark.sql.SparkSession;

import java.util.List;
import java.util.Map;

/**
 * Starts sessions for tests exactly as the spark runtime starts its own (classpath, executor JVM
 * flags, plugin, stand-in SPARK_HOME, executors awaited), but for the test to keep and stop.
 */
public final class TestSessions {
    private TestSessions() {}

    /** A session for the runtime options {@code options}; the caller stops it. */
    public static SparkSession start(Map<String, String> options, List<String> executorOptions) {
        SparkOptions settings =
                SparkOptions.of(
                        new RuntimeSettings(SparkProvider.NAME, 1, executorOptions, options));
        return SparkSessions.acquire(settings).session();
    }
}
