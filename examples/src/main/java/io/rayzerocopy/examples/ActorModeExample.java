package io.rayzerocopy.examples;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.model.BlockModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The guide's actor mode with Ray Data's shape: 4 actors share the model through one wrapper. */
public final class ActorModeExample {
    private ActorModeExample() {}

    /** Scores 100 rows of [0.1] * 128 and returns the rows ({"predictions": float[10]}). */
    public static List<Map<String, Object>> run() {
        try (Model model = SimpleClassifier.create();
                ModelWrapper wrapper =
                        ModelWrapper.fromModel(
                                BlockModel.of(SimpleClassifier::network, model), Mode.ACTOR)) {
            List<Map<String, Object>> items = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                float[] data = new float[128];
                Arrays.fill(data, 0.1f);
                items.add(Map.of("data", data));
            }
            Dataset ds = Dataset.fromItems(items);
            Dataset results =
                    ds.mapBatches(InferenceActor::new, wrapper, 32, ActorPoolStrategy.size(4));
            return results.take(100);
        }
    }

    public static void main(String[] args) {
        List<Map<String, Object>> rows = run();
        System.out.println(rows.size() + " predictions; first: " + rows.get(0).get("predictions"));
    }
}
