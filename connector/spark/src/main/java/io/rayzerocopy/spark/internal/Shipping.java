package io.rayzerocopy.spark.internal;

import io.rayzerocopy.StoreException;
import io.rayzerocopy.spark.SparkRuntime;
import io.rayzerocopy.spi.StoreShipping;
import io.rayzerocopy.spi.StoreSource;

import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;

import java.io.Serializable;
import java.nio.channels.WritableByteChannel;
import java.util.List;

/**
 * How what a job ships to its executors carries its weight stores. The executor decides, not the
 * driver: the driver cannot know which store directory an executor sees (another machine, or a
 * container with a private {@code /dev/shm} on this one). So every wrapper shipped to executors
 * carries a {@link DriverStoreSource}; an executor whose store directory has the store maps it and
 * fetches nothing, one that lacks it materializes it once for its store directory. Only tasks that
 * run in the driver JVM ({@code local[N]}) get the value as it is.
 */
public final class Shipping {
    private Shipping() {}

    /** {@code value}, its stores reachable from every executor of {@code sc}. */
    public static <T extends Serializable> T forCluster(SparkContext sc, T value) {
        return forCluster(sc, value, SparkOptions.Publish.AUTO);
    }

    static <T extends Serializable> T forCluster(
            SparkContext sc, T value, SparkOptions.Publish mode) {
        if (sc.isLocal()) {
            return value;
        }
        StoreShipping.Publisher publisher =
                mode == SparkOptions.Publish.NEVER
                        ? store -> new NotServed()
                        : store -> DriverStoreSource.publish(sc, store);
        return StoreShipping.publishingWith(publisher).withSources(value);
    }

    /**
     * With {@code publishStores=never} the store must already be in every executor's store
     * directory (a shared mount): an executor that lacks it fails, naming where it looked.
     */
    private static final class NotServed implements StoreSource {
        private static final long serialVersionUID = 1L;

        @Override
        public List<String> files() {
            SparkEnv env = SparkEnv.get();
            String node = env == null ? "this machine" : "executor host " + hostOf(env);
            throw new StoreException(
                    "the weight store is not in "
                            + StoreShipping.localRoot()
                            + " on "
                            + node
                            + ", and "
                            + SparkRuntime.PUBLISH_STORES
                            + "=never forbids fetching it from the driver: mount the driver's store"
                            + " directory there (RZC_STORE_DIR), or set "
                            + SparkRuntime.PUBLISH_STORES
                            + "=auto");
        }

        @Override
        public void copy(String file, WritableByteChannel out) {
            throw new UnsupportedOperationException("nothing is served");
        }

        private static String hostOf(SparkEnv env) {
            return env.blockManager().blockManagerId().host();
        }
    }
}
