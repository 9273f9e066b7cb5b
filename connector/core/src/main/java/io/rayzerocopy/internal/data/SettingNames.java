package io.rayzerocopy.internal.data;

import java.util.Map;

/**
 * How messages name the settings that would fix them. The library's messages use the API's
 * spelling; a front end with its own (the CLI's flags) replaces them with {@link #translate}, so a
 * hint always names what its reader can type.
 */
public final class SettingNames {
    public static final String MAX_ERRORED_BATCHES = "ExecutionOptions.maxErroredBatches(n)";
    public static final String MAX_ACTOR_RESTARTS = "ExecutionOptions.maxActorRestarts(n)";
    public static final String OVERWRITE = "ParquetWriteOptions.SaveMode.OVERWRITE";
    public static final String RESUME = "ParquetWriteOptions.resume(true)";
    public static final String WORKER_JVM_OPTIONS = "ExecutionOptions.workerJvmOptions(options)";
    public static final String BATCH_SIZE = "mapBatches' batchSize";
    public static final String PARTITION_TYPES =
            "ParquetReadOptions.partitionType(column, type)";
    public static final String WHERE = "ParquetReadOptions.where(expression)";
    public static final String PARTITION_BY = "ParquetWriteOptions.partitionBy(columns)";

    private SettingNames() {}

    /** {@code message} with each API setting named by its key replaced by its value. */
    public static String translate(String message, Map<String, String> names) {
        String out = message;
        for (Map.Entry<String, String> name : names.entrySet()) {
            out = out.replace(name.getKey(), name.getValue());
        }
        return out;
    }
}
