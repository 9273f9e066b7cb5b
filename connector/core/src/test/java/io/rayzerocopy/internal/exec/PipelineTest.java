package io.rayzerocopy.internal.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.DatasetException;
import io.rayzerocopy.OperatorStats;
import io.rayzerocopy.internal.data.BatchReader;
import io.rayzerocopy.internal.data.BatchSource;
import io.rayzerocopy.internal.data.ItemsSource;
import io.rayzerocopy.internal.data.Roots;
import io.rayzerocopy.internal.data.RowRange;
import io.rayzerocopy.internal.data.SourceBatch;
import io.rayzerocopy.spi.ActorHandle;
import io.rayzerocopy.spi.ActorRuntime;
import io.rayzerocopy.spi.ActorSpec;
import io.rayzerocopy.spi.BatchProcessor;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

class PipelineTest {

    /** An actor that copies its input, records where it was built and ran, and may sleep. */
    static final class Recorder implements ActorSpec {
        static final Map<String, String> BUILT_ON = new ConcurrentHashMap<>();
        static final Map<String, Set<String>> RAN_ON = new ConcurrentHashMap<>();
        static final AtomicInteger LIVE = new AtomicInteger();
        static final AtomicInteger CALLS = new AtomicInteger();
        private final long sleepMillis;

        Recorder(long sleepMillis) {
            this.sleepMillis = sleepMillis;
        }

        @Override
        public String name() {
            return "Recorder";
        }

        @Override
        public BatchProcessor create() {
            String self = Integer.toHexString(System.identityHashCode(new Object()));
            BUILT_ON.put(self, Thread.currentThread().getName());
            LIVE.incrementAndGet();
            return new BatchProcessor() {
                @Override
                public VectorSchemaRoot process(VectorSchemaRoot input, BufferAllocator allocator)
                        throws Exception {
                    RAN_ON.computeIfAbsent(self, k -> ConcurrentHashMap.newKeySet())
                            .add(Thread.currentThread().getName());
                    CALLS.incrementAndGet();
                    Thread.sleep(sleepMillis);
                    return Roots.slice(input, 0, input.getRowCount(), allocator);
                }

                @Override
                public void close() {
                    LIVE.decrementAndGet();
                }
            };
        }

        static void reset() {
            BUILT_ON.clear();
            RAN_ON.clear();
            LIVE.set(0);
            CALLS.set(0);
        }
    }

    /** Counts in-flight submissions per actor, to check the per-actor bound. */
    static final class CountingRuntime implements ActorRuntime {
        final ThreadRuntime delegate;
        final AtomicInteger maxInFlight = new AtomicInteger();

        CountingRuntime(BufferAllocator allocator) {
            delegate = new ThreadRuntime(allocator);
        }

        @Override
        public ActorHandle start(ActorSpec spec, String actorName) {
            ActorHandle actor = delegate.start(spec, actorName);
            AtomicInteger inFlight = new AtomicInteger();
            return new ActorHandle() {
                @Override
                public String name() {
                    return actor.name();
                }

                @Override
                public CompletableFuture<Void> ready() {
                    return actor.ready();
                }

                @Override
                public CompletableFuture<VectorSchemaRoot> submit(
                        VectorSchemaRoot input, BufferAllocator resultAllocator) {
                    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                    return actor.submit(input, resultAllocator)
                            .whenComplete((r, e) -> inFlight.decrementAndGet());
                }

                @Override
                public CompletableFuture<Void> stop() {
                    return actor.stop();
                }
            };
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    @Test
    void eachActorIsBuiltOnceOnItsOwnThreadAndBoundedInFlight() {
        Recorder.reset();
        List<CountingRuntime> runtimes = new ArrayList<>();
        Pipeline pipeline =
                Pipeline.builder(ItemsSource.of(rows(400)), 10)
                        .stage(new MapStage("Recorder", new Recorder(2), 10, 3, 3, 2, 0.5))
                        .runtime(
                                allocator -> {
                                    CountingRuntime runtime = new CountingRuntime(allocator);
                                    runtimes.add(runtime);
                                    return runtime;
                                })
                        .build();

        long rows = drain(pipeline, 0);

        assertEquals(400, rows);
        assertEquals(3, Recorder.BUILT_ON.size(), "one construction per actor");
        assertEquals(40, Recorder.CALLS.get(), "one call per batch");
        for (Map.Entry<String, String> built : Recorder.BUILT_ON.entrySet()) {
            assertEquals(
                    Set.of(built.getValue()),
                    Recorder.RAN_ON.get(built.getKey()),
                    "an actor runs on the thread that built it");
        }
        assertEquals(0, Recorder.LIVE.get(), "every actor was closed");
        assertTrue(runtimes.get(0).maxInFlight.get() <= 2, "at most 2 batches in flight per actor");
    }

    @Test
    void autoscalingGrowsWhileBatchesWaitAndShrinksWhenIdle() {
        Recorder.reset();
        AtomicInteger liveAtTheEnd = new AtomicInteger();
        BatchSource slowTail =
                new SlowTailSource(
                        ItemsSource.of(rows(300)), 25, () -> liveAtTheEnd.set(Recorder.LIVE.get()));
        Pipeline pipeline =
                Pipeline.builder(slowTail, 10)
                        .stage(new MapStage("Recorder", new Recorder(20), 10, 1, 3, 1, 0.5))
                        .idleTimeout(Duration.ofMillis(100))
                        .build();

        assertEquals(300, drain(pipeline, 0));

        assertEquals(3, Recorder.BUILT_ON.size(), "grew to the maximum while batches waited");
        assertEquals(1, liveAtTheEnd.get(), "shrank to the minimum while input trickled");
    }

    @Test
    void aSlowConsumerHoldsBackTheReaderAndMemoryStaysBounded() {
        Recorder.reset();
        Pipeline pipeline =
                Pipeline.builder(ItemsSource.of(rows(2000)), 10)
                        .stage(new MapStage("Recorder", new Recorder(0), 10, 2, 2, 2, 0.5))
                        .queueCapacity(2)
                        .build();
        try (RootAllocator allocator = new RootAllocator();
                PipelineRun run = pipeline.start(allocator)) {
            long consumed = 0;
            long maxAhead = 0;
            for (SourceBatch next = run.next(); next != null; next = run.next()) {
                try (SourceBatch batch = next) {
                    consumed += batch.rowCount();
                }
                sleep(1);
                maxAhead = Math.max(maxAhead, run.stats().inputRows() - consumed);
            }
            // read queue (2) + reader's batch in hand (1) + window (2 * 2 actors * 2) + out queue
            // (2)
            assertTrue(maxAhead <= 10 * (2 + 1 + 8 + 2), "reader ran " + maxAhead + " rows ahead");
            OperatorStats read = run.stats().operators().get(0);
            assertTrue(read.blockedTime().toMillis() > 100, "reader was blocked: " + read);
            assertEquals(2000, consumed);
        }
    }

    @Test
    void theEndOfASplitComesAfterEveryBatchOfItInEitherOrderEvenWithErrors() {
        for (boolean ordered : List.of(false, true)) {
            Recorder.reset();
            // 6 splits (files) of 7 batches; the actors take 0-5 ms per batch; the batch holding
            // id 45 (in split s2) fails and is given up on.
            BatchSource splits = new SplitSource(ItemsSource.of(rows(210)), 35);
            List<String> events = new ArrayList<>();
            Pipeline pipeline =
                    Pipeline.builder(splits, 5)
                            .stage(new MapStage("Jitter", new Jitter(45), 5, 3, 3, 2, 0.5))
                            .preserveOrder(ordered)
                            .erroredBatches(1, (operator, range, error) -> {})
                            .onSplitEnd(split -> events.add("end " + split))
                            .build();
            try (RootAllocator allocator = new RootAllocator();
                    PipelineRun run = pipeline.start(allocator)) {
                for (SourceBatch next = run.next(); next != null; next = run.next()) {
                    try (SourceBatch batch = next) {
                        events.add("batch " + batch.split());
                    }
                }
            }

            for (int i = 0; i < 6; i++) {
                String split = "s" + i;
                int end = events.indexOf("end " + split);
                assertTrue(end >= 0, split + " ended: " + events);
                assertEquals(end, events.lastIndexOf("end " + split), "once: " + events);
                assertEquals(
                        i == 1 ? 6 : 7,
                        events.subList(0, end).stream().filter(("batch " + split)::equals).count(),
                        split + ": all its batches come before its end (ordered=" + ordered + ")");
                assertTrue(
                        events.subList(end, events.size()).stream()
                                .noneMatch(("batch " + split)::equals),
                        events.toString());
            }
        }
    }

    @Test
    void aSplitWhoseBatchFailedTheRunNeverEnds() {
        for (boolean ordered : List.of(false, true)) {
            // One split of one batch, which fails the run after the consumer is already waiting.
            BatchSource split = new SplitSource(ItemsSource.of(rows(5)), 5);
            List<String> ended = new ArrayList<>();
            Pipeline pipeline =
                    Pipeline.builder(split, 5)
                            .stage(new MapStage("SlowFailure", new SlowFailure(), 5, 1, 1, 2, 1))
                            .preserveOrder(ordered)
                            .onSplitEnd(ended::add)
                            .build();
            try (RootAllocator allocator = new RootAllocator();
                    PipelineRun run = pipeline.start(allocator)) {
                DatasetException e = assertThrows(DatasetException.class, run::next);
                assertTrue(e.getMessage().contains("slow failure"), e.getMessage());
            }
            assertEquals(List.of(), ended, "a failed split is not done (ordered=" + ordered + ")");
        }
    }

    /** Fails every batch, 300 ms after it arrives. */
    record SlowFailure() implements ActorSpec {
        @Override
        public String name() {
            return "SlowFailure";
        }

        @Override
        public BatchProcessor create() {
            return (input, allocator) -> {
                Thread.sleep(300);
                throw new IllegalStateException("slow failure");
            };
        }
    }

    /** Copies its input after a 0-5 ms pause; fails on the batch holding id {@code failOn}. */
    record Jitter(long failOn) implements ActorSpec {
        @Override
        public String name() {
            return "Jitter";
        }

        @Override
        public BatchProcessor create() {
            return (input, allocator) -> {
                BigIntVector ids = (BigIntVector) input.getVector("id");
                Thread.sleep(ids.get(0) * 7919 % 6);
                for (int r = 0; r < input.getRowCount(); r++) {
                    if (ids.get(r) == failOn) {
                        throw new IllegalStateException("failing on " + failOn);
                    }
                }
                return Roots.slice(input, 0, input.getRowCount(), allocator);
            };
        }
    }

    private static long drain(Pipeline pipeline, long sleepMillis) {
        long rows = 0;
        try (RootAllocator allocator = new RootAllocator();
                PipelineRun run = pipeline.start(allocator)) {
            for (SourceBatch next = run.next(); next != null; next = run.next()) {
                try (SourceBatch batch = next) {
                    rows += batch.rowCount();
                }
                sleep(sleepMillis);
            }
        }
        return rows;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static List<Map<String, ?>> rows(int n) {
        List<Map<String, ?>> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(Map.of("id", (long) i));
        }
        return rows;
    }

    /** Rows of another source, named as splits {@code s0, s1, ...} of {@code rowsPerSplit}. */
    private static final class SplitSource implements BatchSource {
        private final BatchSource inner;
        private final int rowsPerSplit;

        SplitSource(BatchSource inner, int rowsPerSplit) {
            this.inner = inner;
            this.rowsPerSplit = rowsPerSplit;
        }

        @Override
        public Schema schema() {
            return inner.schema();
        }

        @Override
        public OptionalLong rowCount() {
            return inner.rowCount();
        }

        @Override
        public BatchSource select(List<String> columns) {
            throw new UnsupportedOperationException();
        }

        @Override
        public BatchReader open(BufferAllocator allocator, int batchSize) {
            BatchReader reader = inner.open(allocator, batchSize);
            return new BatchReader() {
                @Override
                public SourceBatch next() {
                    SourceBatch batch = reader.next();
                    if (batch == null) {
                        return null;
                    }
                    long first = batch.range().firstRow();
                    return new SourceBatch(
                            batch.root(),
                            new RowRange(
                                    "s" + first / rowsPerSplit,
                                    first % rowsPerSplit,
                                    batch.rowCount()));
                }

                @Override
                public void close() {
                    reader.close();
                }
            };
        }
    }

    /** Fast for the first batches, then one batch every 300 ms; runs a hook before the last. */
    private static final class SlowTailSource implements BatchSource {
        private final BatchSource inner;
        private final int fastBatches;
        private final Runnable beforeLast;

        SlowTailSource(BatchSource inner, int fastBatches, Runnable beforeLast) {
            this.inner = inner;
            this.fastBatches = fastBatches;
            this.beforeLast = beforeLast;
        }

        @Override
        public Schema schema() {
            return inner.schema();
        }

        @Override
        public OptionalLong rowCount() {
            return inner.rowCount();
        }

        @Override
        public BatchSource select(List<String> columns) {
            throw new UnsupportedOperationException();
        }

        @Override
        public BatchReader open(BufferAllocator allocator, int batchSize) {
            BatchReader reader = inner.open(allocator, batchSize);
            return new BatchReader() {
                private int batches;

                @Override
                public SourceBatch next() {
                    if (batches++ >= fastBatches) {
                        sleep(300);
                    }
                    if (batches == 30) {
                        beforeLast.run();
                    }
                    return reader.next();
                }

                @Override
                public void close() {
                    reader.close();
                }
            };
        }
    }
}
