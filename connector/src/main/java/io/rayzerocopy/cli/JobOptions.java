package io.rayzerocopy.cli;

import io.rayzerocopy.RuntimeKind;

import java.util.Locale;

/** Parsing shared by {@code demo} and {@code score}. */
final class JobOptions {
    private JobOptions() {}

    static RuntimeKind runtime(String value) {
        try {
            return RuntimeKind.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserError("--runtime " + value + ": choose threads, processes or ray");
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
