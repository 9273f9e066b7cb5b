package io.rayzerocopy.spi;

import io.rayzerocopy.ExecutionStats;
import io.rayzerocopy.OperatorStats;
import io.rayzerocopy.Progress;
import io.rayzerocopy.WriteResult;
import io.rayzerocopy.internal.ResultAccess;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The result types a {@link JobRuntime} returns and reports, which users only read: their
 * constructors are not public, engines make them here.
 */
@Experimental
public final class Results {
    private Results() {}

    /** What a job wrote; see {@link WriteResult}'s accessors for each value. */
    public static WriteResult writeResult(
            String directory,
            List<String> files,
            long rowsWritten,
            long erroredRows,
            Duration elapsed,
            ExecutionStats stats,
            int skippedSplits,
            long resumedRows) {
        return ResultAccess.factory()
                .writeResult(
                        directory,
                        files,
                        rowsWritten,
                        erroredRows,
                        elapsed,
                        stats,
                        skippedSplits,
                        resumedRows);
    }

    /** A run's operators, in pipeline order, and its wall time. */
    public static ExecutionStats executionStats(List<OperatorStats> operators, Duration wallTime) {
        return ResultAccess.factory().executionStats(operators, wallTime);
    }

    /** What one operator did; see {@link OperatorStats}' accessors for each value. */
    public static OperatorStats operatorStats(
            String name,
            long rows,
            long batches,
            long erroredRows,
            Duration wallTime,
            Duration busyTime,
            Duration blockedTime,
            Map<String, Long> counters) {
        return ResultAccess.factory()
                .operatorStats(
                        name, rows, batches, erroredRows, wallTime, busyTime, blockedTime, counters);
    }

    /** A running job's progress; see {@link Progress}' accessors for each value. */
    public static Progress progress(
            long rows, long erroredRows, long inputRows, OptionalLong totalRows, Duration elapsed) {
        return ResultAccess.factory().progress(rows, erroredRows, inputRows, totalRows, elapsed);
    }
}
