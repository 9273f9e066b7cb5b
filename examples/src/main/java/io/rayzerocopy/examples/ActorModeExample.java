package io.rayzerocopy.examples;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The guide's actor mode with Ray Data's shape: 4 actors share the model through one wrapper. */
public final class ActorModeExample {
    private ActorModeExample() {}

    /** The scored rows ({"predictions": [10 floats]}) and the model's own output for a row. */
    public record Result(List<Map<String, Object>> rows, float[] direct) {}

    /** Scores 100 rows of [0.1] * 128 with 4 actors sharing the model. */
    public static Result run() {
        float[] data = new float[128];
        Arrays.fill(data, 0.1f);
        try (Model model = SimpleClassifier.create();
                ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(
                                BlockModel.of(SimpleClassifier::network, model), Mode.ACTOR)) {
            List<Map<String, Object>> items = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                items.add(Map.of("data", data));
            }
            Dataset ds = Dataset.fromItems(items);
            Dataset results =
                    ds.mapBatches(InferenceActor::new, wrapper, 32, ActorPoolStrategy.size(4));
            return new Result(results.take(100), SimpleClassifier.forward(model, data));
        }
    }

    public static void main(String[] args) {
        Result result = run();
        System.out.println(
                result.rows().size()
                        + " predictions; first: "
                        + result.rows().get(0).get("predictions"));
    }
}
