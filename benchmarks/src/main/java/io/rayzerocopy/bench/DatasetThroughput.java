package io.rayzerocopy.bench;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Batch;
import io.rayzerocopy.BatchIterator;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.WriteResult;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Throughput and memory of the Dataset pipeline on generated feature tables (id int64, features
 * fixed-size list of 128 floats, 520 bytes a row):
 *
 * <pre>
 * generate DIR ROWS                 write a feature table
 * decode DIR                        Parquet -> Arrow only: rows/s and MB/s
 * score IN OUT MODEL.pt ACTORS      Parquet -> TorchScript MLP -> Parquet at batch 256
 * copy IN OUT                       Parquet -> pass-through map -> Parquet (memory check)
 * </pre>
 *
 * Each command ends with the process's peak RSS (VmHWM).
 */
public final class DatasetThroughput {
    private static final int DIM = 128;

    private DatasetThroughput() {}

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        switch (args.length == 0 ? "" : args[0]) {
            case "generate" -> generate(Paths.get(args[1]), Long.parseLong(args[2]));
            case "decode" -> decode(args[1]);
            case "score" -> score(args[1], args[2], args[3], Integer.parseInt(args[4]));
            case "copy" -> copy(args[1], args[2]);
            default -> {
                System.err.println(
                        "usage: generate DIR ROWS | decode DIR | score IN OUT MODEL ACTORS"
                                + " | copy IN OUT");
                System.exit(2);
            }
        }
        System.out.printf(
                "total %.1f s, peak RSS %s%n", (System.nanoTime() - start) / 1e9, peakRss());
    }

    static void generate(Path dir, long rows) {
        generate(dir, rows, 500_000);
    }

    /** As {@link #generate(Path, long)}, in files of {@code rowsPerFile} rows. */
    static void generate(Path dir, long rows, long rowsPerFile) {
        WriteResult result =
                Dataset.range(rows)
                        .mapBatches(DatasetThroughput::randomFeatures, 65_536)
                        .writeParquet(
                                dir.toString(),
                                ParquetWriteOptions.builder()
                                        .rowsPerFile(rowsPerFile)
                                        .rowsPerRowGroup(65_536)
                                        .build());
        System.out.printf("generated %,d rows in %d files%n", rows, result.files().size());
    }

    /** Keeps the ids and adds {@code features}: DIM Gaussian floats seeded by the first id. */
    static VectorSchemaRoot randomFeatures(Batch batch) {
        int n = batch.rowCount();
        BigIntVector ids = (BigIntVector) batch.root().getVector("id");
        SplittableRandom random = new SplittableRandom(42 + ids.get(0));
        FixedSizeListVector features =
                FixedSizeListVector.empty("features", DIM, batch.allocator());
        features.addOrGetVector(
                FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)));
        features.setInitialCapacity(n);
        features.allocateNew();
        Float4Vector values = (Float4Vector) features.getDataVector();
        for (int r = 0; r < n; r++) {
            features.setNotNull(r);
            for (int j = 0; j < DIM; j++) {
                values.set(r * DIM + j, (float) random.nextGaussian());
            }
        }
        values.setValueCount(n * DIM);
        features.setValueCount(n);
        return batch.output().keep("id").put("features", features).build();
    }

    private static void decode(String dir) throws IOException {
        long fileBytes;
        try (Stream<Path> files = Files.walk(Paths.get(dir))) {
            fileBytes =
                    files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        long start = System.nanoTime();
        long rows = 0;
        try (BatchIterator batches = Dataset.readParquet(dir).iterBatches()) {
            while (batches.hasNext()) {
                rows += batches.next().getRowCount();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                "decoded %,d rows in %.2f s: %,.0f rows/s, %.0f MB/s of Parquet,"
                        + " %.0f MB/s of Arrow values%n",
                rows,
                seconds,
                rows / seconds,
                fileBytes / seconds / 1e6,
                rows * (8.0 + 4 * DIM) / seconds / 1e6);
    }

    private static void score(String in, String out, String model, int actors) {
        WriteResult result;
        try (ModelWrapper<Model> wrapper =
                ModelWrapper.fromModel(TorchScriptModel.fromFile(Paths.get(model)), Mode.ACTOR)) {
            ModelScorer.Config spec =
                    ModelScorer.config(wrapper)
                            .inputColumn("features")
                            .outputColumn("scores")
                            .keepColumns("id")
                            .build();
            result =
                    Dataset.readParquet(in)
                            .mapBatches(ModelScorer::new, spec, 256, ActorPoolStrategy.size(actors))
                            .writeParquet(out, ParquetWriteOptions.overwrite());
        }
        System.out.printf(
                "scored %,d rows in %.2f s: %,.0f rows/s%n%s%n",
                result.rowsWritten(),
                result.seconds(),
                result.rowsWritten() / result.seconds(),
                result.stats());
    }

    private static void copy(String in, String out) {
        WriteResult result =
                Dataset.readParquet(in)
                        .mapBatches(batch -> batch.output().keep("id", "features").build(), 1024)
                        .writeParquet(out, ParquetWriteOptions.overwrite());
        System.out.printf(
                "copied %,d rows in %.2f s: %,.0f rows/s%n%s%n",
                result.rowsWritten(),
                result.seconds(),
                result.rowsWritten() / result.seconds(),
                result.stats());
    }

    private static String peakRss() throws IOException {
        return Files.readAllLines(Paths.get("/proc/self/status")).stream()
                .filter(line -> line.startsWith("VmHWM"))
                .findFirst()
                .orElse("VmHWM: ?")
                .replaceAll("\\s+", " ")
                .substring("VmHWM: ".length());
    }
}
