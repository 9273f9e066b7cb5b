package io.rayzerocopy.cli;

import io.rayzerocopy.ExecutionOptions;

import java.util.List;
import java.util.Locale;

/** Parsing shared by {@code demo} and {@code score}. */
final class JobOptions {
    private JobOptions() {}

    /** Options running on the runtime named {@code value}, or a usage error naming it. */
    static ExecutionOptions.Builder runtime(String value) {
        return runtime(value, null, List.of());
    }

    /**
     * Options running on the runtime named {@code value}; for {@code spark}, on {@code master}
     * (null: the session spark-submit starts) with the {@code key=value} settings of {@code conf}.
     */
    static ExecutionOptions.Builder runtime(String value, String master, List<String> conf) {
        ExecutionOptions.Builder options;
        try {
            options = ExecutionOptions.builder().runtime(value);
        } catch (IllegalArgumentException e) {
            throw new UserError("--runtime " + value + ": " + e.getMessage());
        }
        if (!value.equals("spark") && (master != null || !conf.isEmpty())) {
            throw new UserError(
                    "--master and --conf are settings of the spark runtime: add --runtime spark");
        }
        if (master != null) {
            options.runtimeOption("spark.master", master);
        }
        for (String setting : conf) {
            int eq = setting.indexOf('=');
            if (eq <= 0) {
                throw new UserError("--conf " + setting + ": give key=value");
            }
            options.runtimeOption(setting.substring(0, eq), setting.substring(eq + 1));
        }
        return options;
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
