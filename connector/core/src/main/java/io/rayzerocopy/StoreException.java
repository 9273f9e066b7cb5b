package io.rayzerocopy;

/**
 * A weight store that cannot be used: missing, truncated, corrupted (content hash mismatch), owned
 * or writable by another user, or disagreeing with the model that should bind to it. The message
 * names the store file at fault and what to do.
 */
public class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message naming the store and the fault. */
    public StoreException(String message) {
        super(message);
    }

    /** Creates an exception with a message and cause. */
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
