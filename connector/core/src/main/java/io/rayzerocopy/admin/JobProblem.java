package io.rayzerocopy.admin;

import java.util.Objects;

/**
 * Why a job cannot start, found before any work ({@link JobCheck#check()}): the argument at fault
 * ({@link #argument()}), and a one-line message naming the file, column, location or setting and
 * the fix, with arguments spelt as the caller named them.
 */
public final class JobProblem extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final JobArgument argument;

    JobProblem(JobArgument argument, String message, Throwable cause) {
        super(message, cause);
        this.argument = Objects.requireNonNull(argument, "argument");
    }

    /** The argument to change. */
    public JobArgument argument() {
        return argument;
    }
}
