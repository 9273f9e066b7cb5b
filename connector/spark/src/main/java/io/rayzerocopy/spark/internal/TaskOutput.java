package io.rayzerocopy.spark.internal;

import io.rayzerocopy.ExecutionStats;

import java.io.Serializable;

/**
 * What one task attempt wrote, returned to the driver: its own output directory, where it ran, and
 * its counts. The driver commits exactly one attempt per split: the one Spark accepted.
 *
 * @param partition the split's index
 * @param attemptNumber Spark's attempt number of the task (0 first)
 * @param taskAttemptId Spark's unique id of the attempt
 * @param executorId the executor it ran in
 * @param pid the executor JVM's process id
 * @param directory the attempt's committed output
 * @param rows rows written
 * @param erroredRows rows recorded in {@code _errors}
 * @param stats the attempt's per-operator statistics
 * @param firstBatchMillis from the task's start to its first written batch (-1: no batch)
 * @param millis the attempt's run time
 */
record TaskOutput(
        int partition,
        int attemptNumber,
        long taskAttemptId,
        String executorId,
        long pid,
        String directory,
        long rows,
        long erroredRows,
        ExecutionStats stats,
        long firstBatchMillis,
        long millis)
        implements Serializable {}
