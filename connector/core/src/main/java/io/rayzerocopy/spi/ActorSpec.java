package io.rayzerocopy.spi;

import java.io.Serializable;

/**
 * How to construct one actor. Serializable, so that a runtime can ship it to another JVM (worker
 * processes, Ray nodes) and construct the actor there.
 */
@Stable
public interface ActorSpec extends Serializable {

    /** A short name for logs and errors, e.g. {@code InferenceActor::new}. */
    String name();

    /** Constructs the actor. Called once per actor, on the thread or process that will run it. */
    BatchProcessor create() throws Exception;
}
