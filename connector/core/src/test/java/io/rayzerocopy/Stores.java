package io.rayzerocopy;

import io.rayzerocopy.internal.model.StoreRef;
import io.rayzerocopy.internal.model.WeightStore;

import java.nio.file.Path;

/** The weight store behind a wrapper, as this machine has it. */
public final class Stores {
    private Stores() {}

    /** The reference to {@code wrapper}'s store, read from its manifest on this machine. */
    public static StoreRef of(ModelWrapper<?> wrapper) {
        return WeightStore.local().ref(wrapper.storeId());
    }

    /** The directory of {@code wrapper}'s store on this machine. */
    public static Path directory(ModelWrapper<?> wrapper) {
        return WeightStore.local().root().resolve(wrapper.storeId());
    }
}
