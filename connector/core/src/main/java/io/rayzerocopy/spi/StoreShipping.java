package io.rayzerocopy.spi;

import io.rayzerocopy.internal.model.WeightStore;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;

/**
 * Ships what an engine sends to other machines (actor specs, a job's runner) together with a way
 * to get the weight stores of the model wrappers inside: each wrapper serialized through {@link
 * #serialize} or copied by {@link #withSources} carries the {@link StoreSource} this shipment's
 * {@link Publisher} made for its store, once per store and shipment. A machine that lacks the
 * store then materializes it once (hash checked, renamed into place) before its first {@code
 * load()}; one that has it fetches nothing. Keep one shipment per runtime or job, so each store is
 * published once.
 */
@Experimental
public final class StoreShipping {
    /** Makes a store's files reachable from other machines, e.g. as Ray objects. */
    @Experimental
    public interface Publisher {
        /** Publishes {@code store}; called once per store and shipment. */
        StoreSource publish(LocalStore store);
    }

    private final io.rayzerocopy.internal.model.StoreShipping.Shipment shipment;

    private StoreShipping(io.rayzerocopy.internal.model.StoreShipping.Shipment shipment) {
        this.shipment = shipment;
    }

    /** A shipment whose stores {@code publisher} publishes, each once. */
    public static StoreShipping publishingWith(Publisher publisher) {
        return new StoreShipping(
                new io.rayzerocopy.internal.model.StoreShipping.Shipment(publisher));
    }

    /**
     * A shipment that publishes nothing: for machines that share this one's store directory (the
     * same machine, or a directory every machine mounts).
     */
    public static StoreShipping none() {
        return new StoreShipping(null);
    }

    /** {@code value}, Java-serialized, its wrappers carrying their stores' sources. */
    public byte[] serialize(Object value) throws IOException {
        return io.rayzerocopy.internal.model.StoreShipping.serialize(value, shipment);
    }

    /**
     * A copy of {@code value} whose wrappers carry their stores' sources: for a transport that
     * serializes by itself (the arguments of a Ray actor, a Spark closure).
     *
     * @throws IllegalArgumentException if {@code value} cannot be serialized
     */
    public <T extends Serializable> T withSources(T value) {
        return io.rayzerocopy.internal.model.StoreShipping.withSources(value, shipment);
    }

    /** The store directory root of this machine, for messages naming where a store was sought. */
    public static Path localRoot() {
        return WeightStore.local().root();
    }
}
