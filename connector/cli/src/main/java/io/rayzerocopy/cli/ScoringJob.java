package io.rayzerocopy.cli;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.DatasetException;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.WriteResult;
import io.rayzerocopy.admin.Locations;
import io.rayzerocopy.admin.StoreMemory;

/**
 * The job {@code demo} and {@code score} share: a dataset scored by {@link ModelScorer}s into
 * Parquet, with a progress display and the weight store's memory sampled while it runs.
 */
record ScoringJob(WriteResult result, StoreMemory memory, String splitUnit) {
    static ScoringJob run(
            Dataset input,
            ModelScorer.Config scorer,
            int batchSize,
            ActorPoolStrategy pool,
            ExecutionOptions.Builder options,
            String output,
            ParquetWriteOptions writeOptions)
            throws InterruptedException {
        ProgressPrinter progress = new ProgressPrinter();
        // Spark commits its own splits (parts of files); the other runtimes, whole input files.
        String splitUnit =
                options.build().runtime().equals(RuntimeNames.SPARK) ? "input splits" : "input files";
        JobMonitor monitor = new JobMonitor(scorer.wrapper().storeId());
        try {
            WriteResult result;
            try {
                // Only the columns scored or kept are read: other columns may differ between files.
                result =
                        input.select(scorer.readColumns().toArray(String[]::new))
                                .mapBatches(ModelScorer::new, scorer, batchSize, pool)
                                .withOptions(options.progress(progress).build())
                                .writeParquet(output, writeOptions);
            } finally {
                monitor.close();
            }
            return new ScoringJob(result, monitor.peak(), splitUnit);
        } catch (DatasetException e) {
            throw new JobFailure(e.getMessage(), e);
        } finally {
            progress.done();
        }
    }

    /**
     * Prints what a resumed run skipped, the measured weight copies, the non-finite inputs and the
     * per-operator stats.
     */
    void printReport() {
        if (result.skippedSplits() > 0) {
            System.out.printf(
                    "resumed: skipped %d %s already committed by the run that died (%d rows);"
                            + " read %d rows from the others%n",
                    result.skippedSplits(),
                    splitUnit,
                    result.resumedRows(),
                    result.stats().inputRows());
        }
        System.out.println(
                "weight copies in memory: " + (memory == null ? "not measured" : memory));
        long nonFinite = result.stats().counter(ModelScorer.NON_FINITE_FEATURES);
        System.out.println(
                "non-finite input values (NaN, +-Inf): "
                        + nonFinite
                        + (nonFinite == 0
                                ? ""
                                : " (scored as they are; --fail-on-nonfinite fails their batches"
                                        + " instead)"));
        System.out.println("stats: " + result.stats());
    }

    /** The machine-readable last line. */
    String summary() {
        return JobOptions.summary(
                result.rowsWritten(),
                result.rowsWritten() - result.resumedRows(),
                result.erroredRows(),
                result.seconds(),
                Locations.mask(result.directory()));
    }
}
