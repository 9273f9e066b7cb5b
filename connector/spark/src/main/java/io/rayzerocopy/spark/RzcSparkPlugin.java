package io.rayzerocopy.spark;

import io.rayzerocopy.spark.internal.ExecutorActors;

import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * {@code spark.plugins=io.rayzerocopy.spark.RzcSparkPlugin}: when an executor stops, closes the
 * actors it kept across tasks and the models they loaded, so the executor's leases on weight stores
 * are released (and the last user of a store removes it) as the executor ends. Sessions the {@code
 * spark} runtime starts set it; add it to sessions of your own. Without it, each store lease is
 * still released when the executor JVM exits, or collected after a crash.
 */
public final class RzcSparkPlugin implements SparkPlugin {
    private static final Logger LOG = LoggerFactory.getLogger(RzcSparkPlugin.class);

    /** Spark constructs plugins by name. */
    public RzcSparkPlugin() {}

    /** Nothing to do on the driver. */
    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    /** Closes the executor's actors when it stops. */
    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void init(PluginContext context, Map<String, String> extraConf) {
                LOG.debug("ray-zerocopy plugin in executor {}", context.executorID());
            }

            @Override
            public void shutdown() {
                int closed = ExecutorActors.closeAll();
                LOG.info("executor stopping: closed {} actor(s) and their models", closed);
            }
        };
    }
}
