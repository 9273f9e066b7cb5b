package io.rayzerocopy.spi;

/**
 * The actor is gone (its process crashed or was killed), as opposed to its function throwing: the
 * pool replaces it and retries the batches it held.
 */
@Stable
public final class ActorDiedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the message names the actor and how it ended. */
    public ActorDiedException(String message) {
        super(message);
    }
}
