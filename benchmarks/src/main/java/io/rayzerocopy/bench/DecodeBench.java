package io.rayzerocopy.bench;

import io.rayzerocopy.Batch;
import io.rayzerocopy.BatchIterator;

import org.apache.arrow.dataset.file.FileFormat;
import org.apache.arrow.dataset.file.FileSystemDatasetFactory;
import org.apache.arrow.dataset.jni.NativeMemoryPool;
import org.apache.arrow.dataset.scanner.ScanOptions;
import org.apache.arrow.dataset.scanner.Scanner;
import org.apache.arrow.dataset.source.Dataset;
import org.apache.arrow.dataset.source.DatasetFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Parquet decode, our reader against Arrow C++'s ({@code arrow-dataset} through JNI, as shipped),
 * on the same files, at small and large batches: a generated feature table ({@code id} int64,
 * {@code features} 128 float32, snappy, row groups of 65,536) read to Arrow batches and dropped.
 * Rows per second of wall time and per CPU-second of this process (all its threads: both readers
 * decode on threads of their own). Readers and batch sizes take turns, and each figure is the
 * median of {@code reps} runs after one warm-up run. One line per batch size, then the last line
 * {@code decode rows=<n> ours_small=<r> ours_large=<r> large_vs_small=<x> min_ours_vs_arrow=<y>}
 * (CPU-second rates; the last is our worst lead over Arrow over the batch sizes).
 */
public final class DecodeBench {
    static final int[] BATCHES = {1024, 131_072};

    private DecodeBench() {}

    /** Rates of one run: rows per wall second and per CPU-second. */
    record Rate(double wall, double cpu) {}

    /** Runs the comparison over a generated table of {@code rows} rows. */
    public static String run(long rows, int reps) throws Exception {
        Path dir = Files.createTempDirectory("rzc-decode-bench");
        try {
            Path table = dir.resolve("features");
            DatasetThroughput.generate(table, rows);
            Map<String, List<Rate>> rates = new LinkedHashMap<>();
            try (BufferAllocator arrowAllocator = new RootAllocator()) {
                for (int rep = 0; rep <= reps; rep++) {
                    for (int batch : BATCHES) {
                        Rate ours = measure(rows, () -> ours(table, batch));
                        Rate arrow = measure(rows, () -> arrowCpp(table, batch, arrowAllocator));
                        if (rep > 0) {
                            rates.computeIfAbsent("ours " + batch, k -> new ArrayList<>())
                                    .add(ours);
                            rates.computeIfAbsent("arrow " + batch, k -> new ArrayList<>())
                                    .add(arrow);
                        }
                    }
                }
            }
            double worstLead = Double.MAX_VALUE;
            for (int batch : BATCHES) {
                Rate ours = median(rates.get("ours " + batch));
                Rate arrow = median(rates.get("arrow " + batch));
                worstLead = Math.min(worstLead, ours.cpu() / arrow.cpu());
                System.out.printf(
                        Locale.ROOT,
                        "batch %,7d: ours %,.0f rows/s, %,.0f rows/CPU-s; Arrow C++ %,.0f rows/s,"
                                + " %,.0f rows/CPU-s; ours / Arrow per CPU-s %.2f%n",
                        batch,
                        ours.wall(),
                        ours.cpu(),
                        arrow.wall(),
                        arrow.cpu(),
                        ours.cpu() / arrow.cpu());
            }
            double small = median(rates.get("ours " + BATCHES[0])).cpu();
            double large = median(rates.get("ours " + BATCHES[1])).cpu();
            String line =
                    String.format(
                            Locale.ROOT,
                            "decode rows=%d ours_small=%.0f ours_large=%.0f large_vs_small=%.2f"
                                    + " min_ours_vs_arrow=%.2f",
                            rows,
                            small,
                            large,
                            large / small,
                            worstLead);
            System.out.println(line);
            return line;
        } finally {
            BenchFiles.deleteTree(dir);
        }
    }

    private static Rate median(List<Rate> runs) {
        List<Double> wall = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        for (Rate r : runs) {
            wall.add(r.wall());
            cpu.add(r.cpu());
        }
        Collections.sort(wall);
        Collections.sort(cpu);
        return new Rate(wall.get(wall.size() / 2), cpu.get(cpu.size() / 2));
    }

    private static Rate measure(long expectedRows, LongSupplier decode) {
        long cpu = processCpuNanos();
        long wall = System.nanoTime();
        long rows = decode.getAsLong();
        double wallSeconds = (System.nanoTime() - wall) / 1e9;
        double cpuSeconds = (processCpuNanos() - cpu) / 1e9;
        if (rows != expectedRows) {
            throw new IllegalStateException("decoded " + rows + " rows, expected " + expectedRows);
        }
        return new Rate(rows / wallSeconds, rows / cpuSeconds);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Our reader; the reader's batch size is the first stage's, here a pass-through. */
    private static long ours(Path table, int batch) {
        long rows = 0;
        try (BatchIterator batches =
                io.rayzerocopy.Dataset.readParquet(table.toString())
                        .mapBatches(Batch::root, batch)
                        .iterBatches()) {
            while (batches.hasNext()) {
                rows += batches.next().getRowCount();
            }
        }
        return rows;
    }

    /** Arrow C++'s Parquet reader over the same directory, batches of {@code batch} rows. */
    private static long arrowCpp(Path table, int batch, BufferAllocator allocator) {
        long rows = 0;
        try (DatasetFactory factory =
                        new FileSystemDatasetFactory(
                                allocator,
                                NativeMemoryPool.getDefault(),
                                FileFormat.PARQUET,
                                table.toUri().toString());
                Dataset dataset = factory.finish();
                Scanner scanner = dataset.newScan(new ScanOptions(batch));
                ArrowReader reader = scanner.scanBatches()) {
            while (reader.loadNextBatch()) {
                rows += reader.getVectorSchemaRoot().getRowCount();
            }
        } catch (Exception e) {
            throw new IllegalStateException("Arrow C++ could not read " + table + ": " + e, e);
        }
        return rows;
    }

    public static void main(String[] args) throws Exception {
        long rows = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        run(rows, reps);
    }
}
