package io.rayzerocopy.internal.model;

import io.rayzerocopy.spi.LocalStore;
import io.rayzerocopy.spi.StoreShipping.Publisher;
import io.rayzerocopy.spi.StoreSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ships wrappers to actors on other machines together with a way to get their weight stores. A
 * runtime whose actors may live elsewhere serializes what it sends with {@link #serialize}; every
 * wrapper inside then asks {@link #sourceFor} for its store, which the runtime's publisher publishes
 * once. Publication is thus part of shipping, not a global switch that depends on when the
 * runtime started. Engines use it through {@link io.rayzerocopy.spi.StoreShipping}.
 */
public final class StoreShipping {
    private static final ThreadLocal<Shipment> CURRENT = new ThreadLocal<>();

    private StoreShipping() {}

    /** The publications of one runtime: each store is published once. */
    public static final class Shipment {
        private final Publisher publisher;
        private final Map<String, StoreSource> published = new ConcurrentHashMap<>();

        /** A shipment that publishes with {@code publisher}. */
        public Shipment(Publisher publisher) {
            this.publisher = publisher;
        }

        StoreSource sourceFor(StoreRef ref) {
            return published.computeIfAbsent(
                    ref.sha256(), k -> publisher.publish(new Committed(ref)));
        }
    }

    /** A committed store of this machine's store directory, as a publisher sees it. */
    private record Committed(StoreRef ref) implements LocalStore {
        @Override
        public String id() {
            return ref.id();
        }

        @Override
        public Path root() {
            return WeightStore.local().root();
        }

        @Override
        public Path directory() {
            return WeightStore.local().directory(ref);
        }

        @Override
        public List<String> files() throws IOException {
            return WeightStore.local().storeFiles(ref);
        }

        @Override
        public String toString() {
            return ref.toString();
        }
    }

    /**
     * Java-serializes {@code value}, publishing the store of every wrapper in it through {@code
     * shipment} ({@code null}: for this machine, nothing is published).
     */
    public static byte[] serialize(Object value, Shipment shipment) throws IOException {
        Shipment outer = CURRENT.get();
        CURRENT.set(shipment);
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(value);
            }
            return bytes.toByteArray();
        } finally {
            CURRENT.set(outer);
        }
    }

    /**
     * A copy of {@code value} whose wrappers carry their stores as published by {@code shipment}:
     * for handing to a transport that serializes by itself (e.g. the arguments of a Ray actor).
     *
     * @throws IllegalArgumentException if {@code value} cannot be serialized
     */
    @SuppressWarnings("unchecked")
    public static <T extends Serializable> T withSources(T value, Shipment shipment) {
        try {
            byte[] bytes = serialize(value, shipment);
            try (ObjectInputStream in =
                    new ObjectInputStream(new ByteArrayInputStream(bytes)) {
                        @Override
                        protected Class<?> resolveClass(ObjectStreamClass desc)
                                throws IOException, ClassNotFoundException {
                            return Class.forName(
                                    desc.getName(), false, value.getClass().getClassLoader());
                        }
                    }) {
                return (T) in.readObject();
            }
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalArgumentException(
                    "cannot copy " + value.getClass().getName() + " for shipping: " + e, e);
        }
    }

    /**
     * Where other machines get {@code ref} when the current thread is shipping to them, else {@code
     * null} (a serialization for this machine: the store is here).
     */
    public static StoreSource sourceFor(StoreRef ref) {
        Shipment shipment = CURRENT.get();
        return shipment == null ? null : shipment.sourceFor(ref);
    }
}
