package io.rayzerocopy.admin;

import io.rayzerocopy.internal.data.SettingNames;

/**
 * What a job is given, as a {@link JobProblem} names it. Pre-flight messages spell each one as the
 * caller calls it ({@link JobCheck.Builder#names}: a command line gives its flags), else as the API
 * does ({@link #apiName()}); a running job's messages, which may come from other processes as text,
 * use the API's spelling.
 */
public enum JobArgument {
    /** The input files, directories or globs. */
    INPUT("input"),
    /** The columns the job reads. */
    COLUMNS("columns"),
    /** The model file or directory. */
    MODEL("model"),
    /** The weights of a weight-free model skeleton. */
    WEIGHTS("weights"),
    /** The output directory. */
    OUTPUT("output"),
    /** The runtime's name. */
    RUNTIME("ExecutionOptions.runtime(name)"),
    /** The runtime's own settings. */
    RUNTIME_OPTIONS("ExecutionOptions.runtimeOption(key, value)"),
    /** The number of actors in the pool. */
    ACTORS("ActorPoolStrategy.size(n)"),
    /** The setting that replaces an existing output. */
    OVERWRITE(SettingNames.OVERWRITE),
    /** The setting that continues a run that died. */
    RESUME(SettingNames.RESUME),
    /** Batches that may fail before the job does. */
    MAX_ERRORED_BATCHES(SettingNames.MAX_ERRORED_BATCHES),
    /** Actors that may die and be replaced before the job fails. */
    MAX_ACTOR_RESTARTS(SettingNames.MAX_ACTOR_RESTARTS),
    /** The JVM options of worker processes. */
    WORKER_JVM_OPTIONS(SettingNames.WORKER_JVM_OPTIONS),
    /** Rows per batch. */
    BATCH_SIZE(SettingNames.BATCH_SIZE),
    /** The types forced on partition columns. */
    PARTITION_TYPES(SettingNames.PARTITION_TYPES),
    /** The filter on partition columns. */
    WHERE(SettingNames.WHERE),
    /** The columns the output is partitioned by. */
    PARTITION_BY(SettingNames.PARTITION_BY);

    private final String apiName;

    JobArgument(String apiName) {
        this.apiName = apiName;
    }

    /** How the API names it, e.g. {@code ParquetWriteOptions.SaveMode.OVERWRITE}. */
    public String apiName() {
        return apiName;
    }
}
