package io.rayzerocopy.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ParquetReadOptions;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.WriteResult;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hive-partitioned table of 3 dates scored with {@code partitionBy("date")}, on the spark runtime
 * (task attempts adopted per partition) and read back by Spark's own reader, {@code
 * spark.read().parquet}: the same rows, scores and a {@code date} partition column Spark types as a
 * date. One {@code local[1]} session for the class.
 */
class SparkPartitionsTest {
    private static final List<String> DATES = List.of("2026-11-30", "2026-12-01", "2026-12-02");
    private static final int ROWS_PER_DATE = 40;

    @TempDir static Path dir;
    static SparkSession spark;
    static ModelWrapper<Model> wrapper;
    static Path table;

    @BeforeAll
    static void start() {
        table = dir.resolve("features");
        for (int i = 0; i < DATES.size(); i++) {
            SparkTests.writeFeatures(dir.resolve("tmp-" + i), 1, ROWS_PER_DATE * (i + 1));
            List<Map<String, Object>> rows =
                    Dataset.readParquet(dir.resolve("tmp-" + i).toString())
                            .take(Integer.MAX_VALUE)
                            .subList(ROWS_PER_DATE * i, ROWS_PER_DATE * (i + 1));
            Dataset.fromItems(floats(rows))
                    .writeParquet(table.resolve("date=" + DATES.get(i)).toString());
        }
        spark =
                SparkRuntime.startSession(
                        SparkTests.options("local[1]")
                                .runtimeOption("spark.ui.enabled", "false")
                                .build());
        wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR);
    }

    /** Rows read back with their list values as float[] (what fromItems takes). */
    private static List<Map<String, Object>> floats(List<Map<String, Object>> rows) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            List<?> values = (List<?>) row.get("features");
            float[] features = new float[values.size()];
            for (int j = 0; j < features.length; j++) {
                features[j] = ((Number) values.get(j)).floatValue();
            }
            Map<String, Object> copy = new LinkedHashMap<>();
            copy.put("id", row.get("id"));
            copy.put("features", features);
            out.add(copy);
        }
        return out;
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (wrapper != null) {
            wrapper.close();
        }
    }

    @Test
    void sparkReadsOurPartitionedOutputWithTheSameRowsAndPartitionColumn() {
        Path out = dir.resolve("scores");
        ModelScorer.Config scorer =
                ModelScorer.config(wrapper)
                        .inputColumn("features")
                        .keepColumns("id", "date")
                        .build();
        WriteResult result =
                Dataset.readParquet(
                                ParquetReadOptions.builder().where("date >= '2026-11-30'").build(),
                                table.toString())
                        .withOptions(SparkTests.options(null).build())
                        .mapBatches(ModelScorer::new, scorer, 16, ActorPoolStrategy.size(1))
                        .writeParquet(
                                out.toString(),
                                ParquetWriteOptions.builder().partitionBy("date").build());
        int rows = ROWS_PER_DATE * DATES.size();
        assertEquals(rows, result.rowsWritten());
        SparkTests.assertNoLeftovers(out);

        org.apache.spark.sql.Dataset<Row> read = spark.read().parquet(out.toString());
        assertEquals("DateType", read.schema().apply("date").dataType().toString());
        assertEquals(List.of("id", "score", "date"), List.of(read.schema().fieldNames()));
        List<Map<String, Object>> byId = new ArrayList<>();
        for (Row row : read.collectAsList()) {
            long id = row.getLong(row.fieldIndex("id"));
            assertEquals(
                    LocalDate.parse(DATES.get((int) (id / ROWS_PER_DATE))),
                    row.getDate(row.fieldIndex("date")).toLocalDate(),
                    "row " + id + " is in its date's partition");
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("score", row.getList(row.fieldIndex("score")));
            byId.add(m);
        }
        SparkTests.assertScores(byId, rows, "score");
        assertEquals(
                ROWS_PER_DATE,
                read.where("date = DATE '2026-12-01'").count(),
                "Spark prunes our partitions by its own filter");
    }
}
