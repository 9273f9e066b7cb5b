package io.rayzerocopy.spark.internal;

import org.apache.spark.TaskContext;

/** Where this thread is: in a Spark task (an executor's task thread) or not. */
final class SparkTasks {
    private SparkTasks() {}

    /** Whether the current thread runs a Spark task. */
    static boolean inTask() {
        return TaskContext.get() != null;
    }
}
