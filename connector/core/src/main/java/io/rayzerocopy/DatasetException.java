package io.rayzerocopy;

/**
 * A dataset could not be read, processed or written: an unreadable file, a failed batch, a failed
 * actor. The message names the file, row range or operator involved; the cause is the original
 * error.
 */
public class DatasetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
