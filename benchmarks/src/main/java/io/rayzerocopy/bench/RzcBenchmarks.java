package io.rayzerocopy.bench;

import io.rayzerocopy.cli.Benchmarks;

import java.util.List;

/** The harnesses as {@code rzc bench} calls them (registered in {@code META-INF/services}). */
public final class RzcBenchmarks implements Benchmarks {
    @Override
    public String memory(int actors, int modelMb, String kind) throws Exception {
        return MemoryBench.run(actors, modelMb, kind);
    }

    @Override
    public String memoryWhileScoring(int actors, int modelMb, String kind, int batchSize)
            throws Exception {
        return MemoryBench.scoring(actors, modelMb, kind, batchSize);
    }

    @Override
    public String load(int modelMb, int reps) throws Exception {
        return LoadBench.run(modelMb, reps);
    }

    @Override
    public String sparkMemory(List<Integer> executors, int modelMb) throws Exception {
        return SparkBench.memory(executors, modelMb);
    }

    @Override
    public String sparkThroughput(
            int executors,
            long rows,
            int width,
            int layers,
            int partitions,
            int batchSize,
            int baselineBatch,
            int reps)
            throws Exception {
        return SparkBench.throughput(
                executors, rows, width, layers, partitions, batchSize, baselineBatch, reps);
    }

    @Override
    public String decode(long rows, int reps) throws Exception {
        return DecodeBench.run(rows, reps);
    }

    @Override
    public String pipeline(
            long rows, int batchSize, int actors, int reps, List<String> models, long heavyRows)
            throws Exception {
        return PipelineBench.run(rows, batchSize, actors, reps, models, heavyRows);
    }

    @Override
    public String handWritten(List<Integer> actors, long rows, String model, int largeMb, int reps)
            throws Exception {
        return HandWrittenBench.run(actors, rows, model, largeMb, reps);
    }
}
