package io.rayzerocopy;

/** How a {@link ModelWrapper} is used: loaded inside actors, or called as tasks. */
public enum Mode {
    /** {@link ModelWrapper#load()} inside each actor; the mode for batch inference. */
    ACTOR,
    /** The wrapper itself is callable; each call runs on a pooled worker that loads once. */
    TASK
}
