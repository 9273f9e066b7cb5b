package io.rayzerocopy.internal.exec;

import io.rayzerocopy.internal.data.SourceBatch;

/** A batch travelling between operators; {@link #END} ends a stream. */
final class Item {
    static final Item END = new Item(null);

    final SourceBatch batch;

    Item(SourceBatch batch) {
        this.batch = batch;
    }
}
