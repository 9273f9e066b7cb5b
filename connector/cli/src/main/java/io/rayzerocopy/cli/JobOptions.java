package io.rayzerocopy.cli;

import io.rayzerocopy.ExecutionOptions;

import java.util.Locale;

/** Parsing shared by {@code demo} and {@code score}. */
final class JobOptions {
    private JobOptions() {}

    /** Options running on the runtime named {@code value}, or a usage error naming it. */
    static ExecutionOptions.Builder runtime(String value) {
        try {
            return ExecutionOptions.builder().runtime(value);
        } catch (IllegalArgumentException e) {
            throw new UserError("--runtime " + value + ": " + e.getMessage());
        }
    }

    /** The machine-readable last line of {@code score} and {@code demo}. */
    static String summary(long rows, long errored, double seconds, String output) {
        return String.format(
                Locale.ROOT,
                "rows=%d errored=%d seconds=%.3f rows_per_s=%.0f output=%s",
                rows,
                errored,
                seconds,
                seconds > 0 ? rows / seconds : 0,
                output);
    }
}
