package io.rayzerocopy.internal.spark;

import io.rayzerocopy.internal.model.StoreShipping;

import org.apache.spark.SparkContext;
import org.apache.spark.SparkExecutorInfo;

import java.io.Serializable;
import java.util.List;

/**
 * How what a job ships to its executors carries its weight stores: as it is when every executor
 * runs on this machine (they map the store here), else as a copy whose wrappers name files added to
 * the SparkContext, from which a machine without the store materializes it.
 */
public final class Shipping {
    private Shipping() {}

    /** {@code value}, its stores published when an executor may run on another machine. */
    public static <T extends Serializable> T forCluster(SparkContext sc, T value) {
        return forCluster(sc, value, SparkOptions.Publish.AUTO);
    }

    static <T extends Serializable> T forCluster(
            SparkContext sc, T value, SparkOptions.Publish mode) {
        boolean publish =
                switch (mode) {
                    case ALWAYS -> true;
                    case NEVER -> false;
                    case AUTO -> !allOnThisMachine(sc);
                };
        if (!publish) {
            return value;
        }
        return StoreShipping.withSources(
                value, new StoreShipping.Shipment(ref -> SparkFilesStoreSource.publish(sc, ref)));
    }

    /** Whether every executor (as the driver knows them now) runs on this machine. */
    private static boolean allOnThisMachine(SparkContext sc) {
        if (sc.master().startsWith("local")) {
            return true;
        }
        List<SparkExecutorInfo> executors = ExecutorWatch.executors(sc);
        return !executors.isEmpty()
                && executors.stream().allMatch(e -> MasterUrl.isThisMachine(e.host()));
    }
}
