package io.rayzerocopy;

import io.rayzerocopy.internal.model.StoreRef;
import io.rayzerocopy.internal.model.WeightStore;

import java.io.IOException;
import java.io.UncheckedIOException;

/** The weight store behind a wrapper, as this machine has it. */
public final class Stores {
    private Stores() {}

    /** The reference to {@code wrapper}'s store, read from its manifest on this machine. */
    public static StoreRef of(ModelWrapper<?> wrapper) {
        WeightStore local = WeightStore.local();
        try {
            return local.readManifest(local.root().resolve(wrapper.storeId()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
