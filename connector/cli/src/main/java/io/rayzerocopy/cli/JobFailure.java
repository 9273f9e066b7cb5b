package io.rayzerocopy.cli;

/** The job ran and failed (a batch, an actor): exit code 1, with the failing batch and cause. */
final class JobFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    JobFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
