package io.rayzerocopy.cli;

import java.util.List;

/**
 * The harnesses {@code rzc bench} runs, implemented by the benchmarks module and found with {@link
 * java.util.ServiceLoader} when it is on the classpath (as {@code ./rzc} puts it): the CLI does not
 * depend on the benchmarks, yet a harness whose arguments change no longer compiles against this
 * interface instead of failing when called. Each prints its report and returns it.
 */
public interface Benchmarks {
    /** Summed PSS of {@code actors} worker processes: each loading its own copy vs zero-copy. */
    String memory(int actors, int modelMb, String kind) throws Exception;

    /** {@link #memory} while the actors score batches of {@code batchSize} rows. */
    String memoryWhileScoring(int actors, int modelMb, String kind, int batchSize) throws Exception;

    /** Load latency of a {@code modelMb} model: plain TorchScript vs the store. */
    String load(int modelMb, int reps) throws Exception;

    /** Summed PSS of Spark executor JVMs, for each count of {@code executors}. */
    String sparkMemory(List<Integer> executors, int modelMb) throws Exception;

    /** Parquet to Parquet on local-cluster: ours vs the DJL-Spark jobs. */
    String sparkThroughput(
            int executors,
            long rows,
            int width,
            int layers,
            int partitions,
            int batchSize,
            int baselineBatch,
            int reps)
            throws Exception;

    /** Parquet decode: our reader vs Arrow C++'s. */
    String decode(long rows, int reps) throws Exception;

    /** A pipeline of {@code models} vs the hand-tuned loop. */
    String pipeline(
            long rows, int batchSize, int actors, int reps, List<String> models, long heavyRows)
            throws Exception;

    /** Ours vs hand-written actor code, for each count of {@code actors}. */
    String handWritten(List<Integer> actors, long rows, String model, int largeMb, int reps)
            throws Exception;
}
