package io.rayzerocopy.exec;

import io.rayzerocopy.data.SourceBatch;

/** A batch travelling between operators, numbered in input order; {@link #END} ends a stream. */
final class Item {
  static final Item END = new Item(-1, null);

  final long seq;
  final SourceBatch batch;

  Item(long seq, SourceBatch batch) {
    this.seq = seq;
    this.batch = batch;
  }
}
