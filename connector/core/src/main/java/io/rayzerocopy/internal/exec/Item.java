package io.rayzerocopy.internal.exec;

import io.rayzerocopy.internal.data.SourceBatch;

/**
 * What travels between operators: a batch, the end of a split (every batch of that input split has
 * passed, so its output is complete), or {@link #END}, the end of the stream.
 */
final class Item {
    static final Item END = new Item(null, null);

    final SourceBatch batch;
    final String splitEnd;

    private Item(SourceBatch batch, String splitEnd) {
        this.batch = batch;
        this.splitEnd = splitEnd;
    }

    static Item of(SourceBatch batch) {
        return new Item(batch, null);
    }

    /** Follows the last batch of split {@code split} (a batch's {@code range().source()}). */
    static Item splitEnd(String split) {
        return new Item(null, split);
    }
}
