package io.rayzerocopy.spark;

import io.rayzerocopy.spark.internal.ExecutorActors;

import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * A test plugin listed after {@link RzcSparkPlugin}, whose shutdown Spark runs after ours: records
 * in a marker file per executor (named by pid) how many actors the executor constructed and how
 * many were still open. An executor's own log loses its last lines when its Worker stops it.
 */
public final class RecordingPlugin implements SparkPlugin {
    /** Spark setting with the directory of the marker files. */
    static final String MARKERS = "spark.rzc.test.markers";

    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            private Path markers;

            @Override
            public void init(PluginContext context, Map<String, String> extraConf) {
                markers = Paths.get(context.conf().get(MARKERS));
            }

            @Override
            public void shutdown() {
                try {
                    Files.createDirectories(markers);
                    Files.writeString(
                            markers.resolve(String.valueOf(ProcessHandle.current().pid())),
                            "constructed "
                                    + ExecutorActors.constructed()
                                    + ", live "
                                    + ExecutorActors.live());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }
}
