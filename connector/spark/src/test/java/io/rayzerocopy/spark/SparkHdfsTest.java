package io.rayzerocopy.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.WriteResult;
import io.rayzerocopy.internal.data.StagingArea;
import io.rayzerocopy.internal.storage.MiniHdfs;

import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A Spark job on {@code local-cluster} (two executor JVMs) reading its input from and committing
 * its output to a real HDFS: the executors read their splits and write their attempts straight on
 * HDFS; the driver commits one attempt per split there.
 */
class SparkHdfsTest {
    private static final int FILES = 4;
    private static final int ROWS_PER_FILE = 500;

    @TempDir static Path dir;
    static MiniHdfs hdfs;
    static SparkSession spark;
    static ModelWrapper<Model> wrapper;

    @BeforeAll
    static void start() throws Exception {
        hdfs = MiniHdfs.start(dir.resolve("hdfs"));
        Path local = SparkTests.writeFeatures(dir.resolve("features"), FILES, ROWS_PER_FILE);
        hdfs.client()
                .copyFromLocalFile(
                        new org.apache.hadoop.fs.Path(local.toUri()),
                        new org.apache.hadoop.fs.Path("/features"));
        spark = SparkTests.start(2, Map.of());
        wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (wrapper != null) {
            wrapper.close();
        }
        if (hdfs != null) {
            hdfs.close();
        }
    }

    @Test
    void executorsReadAndWriteHdfsAndTheDriverCommitsThere() throws Exception {
        String out = hdfs.uri() + "/scores";
        ModelScorer.Config scorer =
                ModelScorer.config(wrapper).inputColumn("features").keepColumns("id").build();
        long t0 = System.nanoTime();
        WriteResult result =
                Dataset.readParquet(hdfs.uri() + "/features")
                        .withOptions(SparkTests.options(null).build())
                        .mapBatches(ModelScorer::new, scorer, 64, ActorPoolStrategy.size(2))
                        .writeParquet(out);
        System.out.printf(
                "TIMING spark on hdfs, %d rows: %.2f s%n",
                result.rowsWritten(), (System.nanoTime() - t0) / 1e9);

        assertEquals(FILES * ROWS_PER_FILE, result.rowsWritten());
        assertTrue(result.files().get(0).startsWith(hdfs.uri() + "/scores/part-"), result.files().toString());
        SparkTests.assertScores(
                Dataset.readParquet(out).take(Integer.MAX_VALUE), FILES * ROWS_PER_FILE, "score");
        FileSystem fs = hdfs.client();
        assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/scores/_SUCCESS")));
        assertEquals(List.of(), StagingArea.leftovers(out), "no staging or attempt directory left");
    }
}
