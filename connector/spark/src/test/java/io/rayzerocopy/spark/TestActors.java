package io.rayzerocopy.spark;

import io.rayzerocopy.Batch;
import io.rayzerocopy.BatchFn;
import io.rayzerocopy.ModelScorer;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;

/** Scoring actors for fault and reuse tests: the library's scorer, plus a side effect. */
final class TestActors {
    private TestActors() {}

    /**
     * What the test actors need: the scorer's configuration, a directory for marker files, the id
     * whose batch fails, and whether it fails on every attempt or once.
     */
    record Args(ModelScorer.Config scorer, String markers, long failId, boolean always)
            implements Serializable {
        Args(ModelScorer.Config scorer, Path markers) {
            this(scorer, markers.toString(), -1, false);
        }
    }

    /** Appends a line per construction to {@code markers/constructed}, then scores. */
    static BatchFn counting(Args args) throws IOException {
        Files.writeString(
                Paths.get(args.markers()).resolve("constructed"),
                ProcessHandle.current().pid() + "\n",
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        return new ModelScorer(args.scorer());
    }

    /** Scores, sleeping {@code failId} milliseconds per batch first: a slow model. */
    static BatchFn slow(Args args) {
        ModelScorer scorer = new ModelScorer(args.scorer());
        return new BatchFn() {
            @Override
            public VectorSchemaRoot call(Batch batch) throws Exception {
                Thread.sleep(args.failId());
                return scorer.call(batch);
            }

            @Override
            public void close() {
                scorer.close();
            }
        };
    }

    /**
     * Scores, but fails the batch holding {@code failId}: always, or only the first time any actor
     * of any executor meets it (a marker file records that it did).
     */
    static BatchFn failing(Args args) {
        ModelScorer scorer = new ModelScorer(args.scorer());
        return new BatchFn() {
            @Override
            public VectorSchemaRoot call(Batch batch) throws Exception {
                BigIntVector ids = (BigIntVector) batch.root().getVector("id");
                for (int r = 0; r < batch.rowCount(); r++) {
                    if (ids.get(r) == args.failId() && shouldFail()) {
                        throw new IllegalStateException("injected failure at id " + args.failId());
                    }
                }
                return scorer.call(batch);
            }

            private boolean shouldFail() throws IOException {
                if (args.always()) {
                    return true;
                }
                try {
                    Files.createFile(Paths.get(args.markers()).resolve("failed-once"));
                    return true;
                } catch (FileAlreadyExistsException e) {
                    return false;
                }
            }

            @Override
            public void close() {
                scorer.close();
            }
        };
    }

    /**
     * Scores; the first attempt anywhere to meet {@code failId} straggles: it writes {@code
     * markers/straggler} (its pid) and waits until the test releases it ({@code markers/release},
     * once another attempt of the split succeeded) or 30 s pass, then scores as usual. Another
     * attempt that meets the id writes {@code markers/overtaken}.
     */
    static BatchFn straggling(Args args) {
        ModelScorer scorer = new ModelScorer(args.scorer());
        Path markers = Paths.get(args.markers());
        return new BatchFn() {
            @Override
            public VectorSchemaRoot call(Batch batch) throws Exception {
                BigIntVector ids = (BigIntVector) batch.root().getVector("id");
                for (int r = 0; r < batch.rowCount(); r++) {
                    if (ids.get(r) == args.failId()) {
                        meet();
                    }
                }
                return scorer.call(batch);
            }

            private void meet() throws IOException, InterruptedException {
                try {
                    Files.writeString(
                            markers.resolve("straggler"),
                            String.valueOf(ProcessHandle.current().pid()),
                            StandardOpenOption.CREATE_NEW);
                } catch (FileAlreadyExistsException e) {
                    Files.writeString(
                            markers.resolve("overtaken"),
                            String.valueOf(ProcessHandle.current().pid()),
                            StandardOpenOption.CREATE);
                    return;
                }
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (Files.notExists(markers.resolve("release"))
                        && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            }

            @Override
            public void close() {
                scorer.close();
            }
        };
    }
}
