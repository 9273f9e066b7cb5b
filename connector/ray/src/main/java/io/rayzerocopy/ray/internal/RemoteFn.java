package io.rayzerocopy.ray.internal;

import java.io.Serializable;

/**
 * A function hosted by a {@link RayActorHost}: shipped to the actor as Java-serialized bytes and
 * constructed there (deserialization is its constructor), then called with opaque bytes.
 */
public interface RemoteFn extends Serializable {
    /** Computes the output bytes for {@code input}; an exception fails that call only. */
    byte[] apply(byte[] input) throws Exception;

    /**
     * Releases what the function holds (models, mappings); called once when its actor is closed.
     */
    default void close() throws Exception {}
}
