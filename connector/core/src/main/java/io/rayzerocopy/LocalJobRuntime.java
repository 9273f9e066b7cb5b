package io.rayzerocopy;

import io.rayzerocopy.internal.data.Allocators;
import io.rayzerocopy.internal.data.BatchSource;
import io.rayzerocopy.internal.data.JobRecord;
import io.rayzerocopy.internal.data.ParquetSink;
import io.rayzerocopy.internal.data.SourceBatch;
import io.rayzerocopy.internal.exec.ErroredBatchHandler;
import io.rayzerocopy.internal.exec.MapStage;
import io.rayzerocopy.internal.exec.Pipeline;
import io.rayzerocopy.internal.exec.PipelineRun;
import io.rayzerocopy.spi.JobPlan;
import io.rayzerocopy.spi.JobRuntime;
import io.rayzerocopy.spi.RuntimeProvider;
import io.rayzerocopy.spi.RuntimeSettings;
import io.rayzerocopy.spi.Runtimes;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The local driver: runs a {@link Dataset}'s plan in this JVM, its actors on the runtime the plan
 * names ({@code threads}, {@code processes}, {@code ray}), reading the source and writing or
 * returning what the last stage gives. A {@link Dataset} hands every job to a {@link JobRuntime},
 * this one or a cluster's (Spark's), so all runtimes get their jobs through one door.
 */
final class LocalJobRuntime implements JobRuntime {
    static final LocalJobRuntime INSTANCE = new LocalJobRuntime();

    private static final Logger LOG = LoggerFactory.getLogger(Dataset.class);
    private static final int DEFAULT_BATCH_SIZE = 1024;
    private static final String ERRORS = "_errors";

    private LocalJobRuntime() {}

    @Override
    public boolean runsJobs(RuntimeSettings settings) {
        return true;
    }

    /** The rows, batches and time a job's writing took, until its commit. */
    private record Written(ExecutionStats stats, long batches, long writeNanos, long writeStart) {}

    @Override
    public WriteResult writeParquet(JobPlan jobPlan, String output, ParquetWriteOptions options) {
        DatasetPlan plan = DatasetPlan.local(jobPlan);
        long start = System.nanoTime();
        BatchSource source = plan.source();
        OptionalLong sourceRows = source.rowCount();
        Map<String, String> splits = source.splits();
        JobRecord job =
                splits.isEmpty() ? null : JobRecords.of(source, splits, plan.stages(), options);
        try (ParquetSink sink = ParquetSink.create(output, options, job);
                BufferAllocator allocator = Allocators.child("job")) {
            Set<String> skipped = sink.resumedSplits();
            BatchSource input = source.skipSplits(skipped);
            OptionalLong totalRows = skipped.isEmpty() ? sourceRows : input.rowCount();
            if (!skipped.isEmpty()) {
                LOG.info(
                        "resuming: skipping {} of {} input files already committed ({} rows"
                                + " written); reading the other {}",
                        skipped.size(),
                        splits.size(),
                        sink.resumedRows(),
                        splits.size() - skipped.size());
            }
            Written written = write(plan, input, sink, allocator, totalRows, start);
            return commit(plan, sink, written, skipped.size(), start);
        }
    }

    /** Runs the plan over {@code input} and writes each batch as it comes, reporting progress. */
    private static Written write(
            DatasetPlan plan,
            BatchSource input,
            ParquetSink sink,
            BufferAllocator allocator,
            OptionalLong totalRows,
            long start) {
        long batches = 0;
        long writeNanos = 0;
        List<MapStage> stages = capActors(plan.stages(), input);
        try (PipelineRun run =
                start(
                        plan,
                        input,
                        stages,
                        allocator,
                        erroredRows(sink, allocator),
                        sink::commitSplit)) {
            long writeStart = System.nanoTime();
            long rows = 0;
            for (SourceBatch next = run.next(); next != null; next = run.next()) {
                try (SourceBatch batch = next) {
                    long batchStart = System.nanoTime();
                    sink.write(batch.split(), batch.root());
                    writeNanos += System.nanoTime() - batchStart;
                    rows += batch.rowCount();
                    batches++;
                }
                ExecutionStats now = run.stats();
                plan.reportProgress(
                        new Progress(
                                rows,
                                now.erroredRows(),
                                now.inputRows(),
                                totalRows,
                                Duration.ofNanos(System.nanoTime() - start)));
            }
            return new Written(run.stats(), batches, writeNanos, writeStart);
        }
    }

    /** Commits the output and reports the job's statistics, the writer's included. */
    private static WriteResult commit(
            DatasetPlan plan, ParquetSink sink, Written written, int skipped, long start) {
        long rows = sink.rows();
        long erroredRows = sink.rows(ERRORS);
        long commitStart = System.nanoTime();
        List<String> files = sink.commit();
        long writeNanos = written.writeNanos() + System.nanoTime() - commitStart;
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        ExecutionStats stats =
                written.stats()
                        .plus(
                                new OperatorStats(
                                        "write",
                                        rows - sink.resumedRows(),
                                        written.batches(),
                                        0,
                                        Duration.ofNanos(System.nanoTime() - written.writeStart()),
                                        Duration.ofNanos(writeNanos),
                                        Duration.ZERO),
                                elapsed);
        plan.reportFinished(stats);
        LOG.info(
                "wrote {} rows ({} errored) to {} in {} files, {} s{}",
                rows,
                erroredRows,
                sink.directory(),
                files.size(),
                String.format("%.3f", elapsed.toNanos() / 1e9),
                skipped == 0 ? "" : "; " + skipped + " input files were done by the resumed run");
        return new WriteResult(
                sink.directory(),
                files,
                rows,
                erroredRows,
                elapsed,
                stats,
                skipped,
                sink.resumedRows());
    }

    @Override
    public BatchIterator iterBatches(JobPlan jobPlan) {
        DatasetPlan plan = DatasetPlan.local(jobPlan);
        BufferAllocator allocator = Allocators.child("job");
        try {
            PipelineRun run =
                    start(plan, plan.source(), plan.stages(), allocator, logErrors(), split -> {});
            return new RunIterator(run, allocator, plan::reportFinished);
        } catch (RuntimeException e) {
            allocator.close();
            throw e;
        }
    }

    private static PipelineRun start(
            DatasetPlan plan,
            BatchSource input,
            List<MapStage> stages,
            BufferAllocator allocator,
            ErroredBatchHandler errors,
            Consumer<String> splitEnds) {
        ExecutionOptions options = plan.options();
        RuntimeSettings settings = plan.settings();
        RuntimeProvider provider = Runtimes.find(settings.runtime());
        Pipeline.Builder pipeline =
                Pipeline.builder(
                                input,
                                stages.isEmpty() ? DEFAULT_BATCH_SIZE : stages.get(0).batchSize())
                        .preserveOrder(options.preserveOrder())
                        .erroredBatches(options.maxErroredBatches(), errors)
                        .maxActorRestarts(options.maxActorRestarts())
                        .onSplitEnd(splitEnds)
                        .runtime(alloc -> provider.create(settings, alloc));
        stages.forEach(pipeline::stage);
        return pipeline.build().start(allocator);
    }

    /**
     * The stages, the first one's pool no larger than the input has batches: more actors would only
     * cost their start (a model load each) and memory.
     */
    private static List<MapStage> capActors(List<MapStage> stages, BatchSource input) {
        if (stages.isEmpty()) {
            return stages;
        }
        MapStage first = stages.get(0);
        OptionalLong batches = input.batchCount(first.batchSize());
        if (batches.isEmpty() || batches.getAsLong() >= first.maxActors()) {
            return stages;
        }
        int max = (int) batches.getAsLong();
        LOG.warn(
                "map1({}): the input has only {} batches of {} rows, so {} of the {} actors asked"
                        + " for would have nothing to do; starting at most {}",
                first.name(),
                max,
                first.batchSize(),
                first.maxActors() - max,
                first.maxActors(),
                max);
        List<MapStage> capped = new ArrayList<>(stages);
        capped.set(
                0,
                new MapStage(
                        first.name(),
                        first.actor(),
                        first.batchSize(),
                        Math.min(first.minActors(), max),
                        max,
                        first.maxInFlightPerActor(),
                        first.cpusPerActor()));
        return capped;
    }

    private static ErroredBatchHandler logErrors() {
        return (operator, range, error) ->
                LOG.warn("{}: gave up on {}: {}", operator, range, error.toString());
    }

    /**
     * Writes one {@code _errors} row per errored input row: operator, source, source_row, error. A
     * batch a function made from its input (with another row count) that later fails is recorded by
     * the input rows it came from.
     */
    private static ErroredBatchHandler erroredRows(ParquetSink sink, BufferAllocator allocator) {
        return (operator, range, error) -> {
            int rows = Math.toIntExact(range.rowCount());
            try (VarCharVector operators = new VarCharVector("operator", allocator);
                    VarCharVector sources = new VarCharVector("source", allocator);
                    BigIntVector sourceRows = new BigIntVector("source_row", allocator);
                    VarCharVector errors = new VarCharVector("error", allocator)) {
                byte[] operatorBytes = operator.getBytes(StandardCharsets.UTF_8);
                byte[] sourceBytes = range.source().getBytes(StandardCharsets.UTF_8);
                byte[] errorBytes = error.toString().getBytes(StandardCharsets.UTF_8);
                for (int r = 0; r < rows; r++) {
                    operators.setSafe(r, operatorBytes);
                    sources.setSafe(r, sourceBytes);
                    sourceRows.setSafe(r, range.firstRow() + r);
                    errors.setSafe(r, errorBytes);
                }
                VectorSchemaRoot root =
                        new VectorSchemaRoot(
                                List.<FieldVector>of(operators, sources, sourceRows, errors));
                root.setRowCount(rows);
                sink.writeSidecar(ERRORS, range.source(), root);
            }
        };
    }

    /** A {@link BatchIterator} over a run; reports the run's stats when it ends. */
    private static final class RunIterator implements BatchIterator {
        private final PipelineRun run;
        private final BufferAllocator allocator;
        private final Consumer<ExecutionStats> finished;
        private SourceBatch current;
        private SourceBatch lookahead;
        private boolean done;
        private boolean closed;

        RunIterator(
                PipelineRun run, BufferAllocator allocator, Consumer<ExecutionStats> finished) {
            this.run = run;
            this.allocator = allocator;
            this.finished = finished;
        }

        @Override
        public boolean hasNext() {
            if (closed) {
                return false;
            }
            if (lookahead == null && !done) {
                releaseCurrent();
                lookahead = run.next();
                if (lookahead == null) {
                    done = true;
                    finished.accept(run.stats());
                }
            }
            return lookahead != null;
        }

        @Override
        public VectorSchemaRoot next() {
            if (!hasNext()) {
                throw new NoSuchElementException("no more batches");
            }
            current = lookahead;
            lookahead = null;
            return current.root();
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            releaseCurrent();
            if (lookahead != null) {
                lookahead.close();
                lookahead = null;
            }
            try {
                run.close();
            } finally {
                allocator.close();
            }
        }

        private void releaseCurrent() {
            if (current != null) {
                current.close();
                current = null;
            }
        }
    }
}
