package io.rayzerocopy;

import java.io.Serializable;

/**
 * Constructs a {@link BatchFn} from one argument, typically a constructor reference such as {@code
 * InferenceActor::new} taking a {@code ModelWrapper}. Serializable, so that actors can be
 * constructed in other processes.
 *
 * @param <C> the constructor argument's type
 */
@FunctionalInterface
public interface ActorFactory<C> extends Serializable {

    /** Constructs one actor; runs once per actor, on the actor's own thread. */
    BatchFn create(C argument) throws Exception;
}
