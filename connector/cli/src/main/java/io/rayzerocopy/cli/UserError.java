package io.rayzerocopy.cli;

/** A mistake in the command line or its inputs: printed as one line, exit code 2. */
final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UserError(String message) {
        super(message);
    }
}
