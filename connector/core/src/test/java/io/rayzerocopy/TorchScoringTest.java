package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;

import com.google.gson.Gson;
import com.google.gson.JsonObject;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Scores the guide's SimpleClassifier (TorchScript, 128 -> 256 -> 10) end to end. */
class TorchScoringTest {
    private static final Path FIXTURES = Paths.get("src/test/resources/fixtures");
    private static final int ROWS = 200;

    @TempDir static Path dir;
    private static float[][] input;
    private static float[][] expected;
    private static Path features;

    /** The guide's InferenceActor: loads the model once, scores every batch with its Predictor. */
    public static final class InferenceActor implements BatchFn {
        private final ZooModel<NDList, NDList> model;
        private final Predictor<NDList, NDList> predictor;

        public InferenceActor(String modelPath) throws Exception {
            model =
                    Criteria.builder()
                            .setTypes(NDList.class, NDList.class)
                            .optModelPath(Paths.get(modelPath))
                            .optEngine("PyTorch")
                            .optTranslator(new NoopTranslator())
                            .build()
                            .loadModel();
            predictor = model.newPredictor();
        }

        @Override
        public VectorSchemaRoot call(Batch batch) throws Exception {
            NDArray scores =
                    predictor.predict(new NDList(batch.tensor("features"))).singletonOrThrow();
            return batch.output().keep("id").put("scores", scores).build();
        }

        @Override
        public void close() {
            predictor.close();
            model.close();
        }
    }

    @BeforeAll
    static void writeFeatures() throws Exception {
        try (Reader reader =
                Files.newBufferedReader(FIXTURES.resolve("simple_classifier.ref.json"))) {
            JsonObject ref = new Gson().fromJson(reader, JsonObject.class);
            input = new Gson().fromJson(ref.get("input"), float[][].class);
            expected = new Gson().fromJson(ref.get("output"), float[][].class);
        }
        MessageType schema =
                MessageTypeParser.parseMessageType(
                        """
message features {
  required int64 id;
  required group features (LIST) { repeated group list { required float element; } }
}""");
        features = dir.resolve("features");
        Files.createDirectories(features);
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        for (int file = 0; file < 2; file++) {
            try (ParquetWriter<Group> writer =
                    ExampleParquetWriter.builder(
                                    new LocalOutputFile(
                                            features.resolve("part-" + file + ".parquet")))
                            .withType(schema)
                            .build()) {
                for (int r = file * ROWS / 2; r < (file + 1) * ROWS / 2; r++) {
                    Group row = groups.newGroup().append("id", (long) r);
                    Group list = row.addGroup("features");
                    for (float v : input[r % input.length]) {
                        list.addGroup("list").append("element", v);
                    }
                    writer.write(row);
                }
            }
        }
    }

    @Test
    void scoresMatchPythonWithAPoolOfTwoActors() {
        String model = FIXTURES.resolve("simple_classifier.pt").toAbsolutePath().toString();
        Path out = dir.resolve("scores");

        Dataset scored =
                Dataset.readParquet(features.toString())
                        .mapBatches(InferenceActor::new, model, 16, ActorPoolStrategy.size(2));
        WriteResult result = scored.writeParquet(out.toString());

        assertEquals(ROWS, result.rowsWritten());
        assertEquals(0, result.erroredRows());
        assertScores(Dataset.readParquet(out.toString()).take(ROWS + 1));
        List<String> operators =
                result.stats().operators().stream().map(OperatorStats::name).toList();
        assertEquals(List.of("read", "map1(InferenceActor::new)", "write"), operators);
        assertEquals(ROWS, result.stats().operators().get(1).rows());
        assertEquals(
                14, result.stats().operators().get(1).batches(), "13 per file of 100 rows at 16");
        assertEquals(result.stats(), scored.stats());
    }

    @Test
    void classWithConstructorArgumentsScoresTheSame() {
        String model = FIXTURES.resolve("simple_classifier.pt").toAbsolutePath().toString();

        List<Map<String, Object>> rows =
                Dataset.readParquet(features.toString())
                        .mapBatches(
                                InferenceActor.class,
                                List.of(model),
                                32,
                                ActorPoolStrategy.autoscaling(1, 2))
                        .take(ROWS);

        assertScores(rows);
    }

    private static void assertScores(List<Map<String, Object>> rows) {
        assertEquals(ROWS, rows.size());
        List<Long> ids = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            long id = (Long) row.get("id");
            ids.add(id);
            @SuppressWarnings("unchecked")
            List<Float> scores = (List<Float>) row.get("scores");
            float[] reference = expected[(int) (id % expected.length)];
            assertEquals(reference.length, scores.size());
            for (int j = 0; j < reference.length; j++) {
                assertEquals(reference[j], scores.get(j), 1e-5, "row " + id + " score " + j);
            }
        }
        assertTrue(ids.stream().distinct().count() == ROWS, "every row exactly once");
    }
}
