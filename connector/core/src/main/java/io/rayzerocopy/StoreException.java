package io.rayzerocopy;

/**
 * A weight store that cannot be used: missing, truncated, corrupted (content hash mismatch), owned
 * or writable by another user, disagreeing with the model that should bind to it, or without room
 * in the store directory. The message names the store file or directory at fault and what to do.
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
