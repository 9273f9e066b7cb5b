package io.rayzerocopy;

import io.rayzerocopy.internal.ResultAccess;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** The result types' constructors, for {@link ResultAccess} (their only way out of the package). */
final class ResultFactory implements ResultAccess.Factory {
    static {
        ResultAccess.register(new ResultFactory());
    }

    private ResultFactory() {}

    @Override
    public WriteResult writeResult(
            String directory,
            List<String> files,
            long rowsWritten,
            long erroredRows,
            Duration elapsed,
            ExecutionStats stats,
            int skippedSplits,
            long resumedRows) {
        return new WriteResult(
                directory,
                files,
                rowsWritten,
                erroredRows,
                elapsed,
                stats,
                skippedSplits,
                resumedRows);
    }

    @Override
    public ExecutionStats executionStats(List<OperatorStats> operators, Duration wallTime) {
        return new ExecutionStats(operators, wallTime);
    }

    @Override
    public OperatorStats operatorStats(
            String name,
            long rows,
            long batches,
            long erroredRows,
            Duration wallTime,
            Duration busyTime,
            Duration blockedTime,
            Map<String, Long> counters) {
        return new OperatorStats(
                name, rows, batches, erroredRows, wallTime, busyTime, blockedTime, counters);
    }

    @Override
    public Progress progress(
            long rows, long erroredRows, long inputRows, OptionalLong totalRows, Duration elapsed) {
        return new Progress(rows, erroredRows, inputRows, totalRows, elapsed);
    }
}
