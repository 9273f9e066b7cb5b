package io.rayzerocopy.internal;

import io.rayzerocopy.ExecutionStats;
import io.rayzerocopy.OperatorStats;
import io.rayzerocopy.Progress;
import io.rayzerocopy.WriteResult;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * How code outside {@code io.rayzerocopy} makes the API's result types, whose constructors are not
 * public: {@code io.rayzerocopy} registers a factory here when its factory class loads (the JDK's
 * "shared secrets" idiom). Engines reach it through {@link io.rayzerocopy.spi.Results}.
 */
public final class ResultAccess {
    /** Makes the result types; implemented in {@code io.rayzerocopy} only. */
    public interface Factory {
        WriteResult writeResult(
                String directory,
                List<String> files,
                long rowsWritten,
                long erroredRows,
                Duration elapsed,
                ExecutionStats stats,
                int skippedSplits,
                long resumedRows);

        ExecutionStats executionStats(List<OperatorStats> operators, Duration wallTime);

        OperatorStats operatorStats(
                String name,
                long rows,
                long batches,
                long erroredRows,
                Duration wallTime,
                Duration busyTime,
                Duration blockedTime,
                Map<String, Long> counters);

        Progress progress(
                long rows,
                long erroredRows,
                long inputRows,
                OptionalLong totalRows,
                Duration elapsed);
    }

    private static final String IMPLEMENTATION = "io.rayzerocopy.ResultFactory";
    private static volatile Factory factory;

    private ResultAccess() {}

    /** Called once, by the implementation's static initializer. */
    public static void register(Factory implementation) {
        factory = implementation;
    }

    /** The factory, loading its implementation on first use. */
    public static Factory factory() {
        Factory f = factory;
        if (f == null) {
            try {
                Class.forName(IMPLEMENTATION, true, ResultAccess.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(IMPLEMENTATION + " is missing from core", e);
            }
            f = factory;
        }
        return f;
    }
}
