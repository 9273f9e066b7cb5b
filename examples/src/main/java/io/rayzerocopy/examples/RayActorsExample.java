package io.rayzerocopy.examples;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;

import io.ray.api.ActorHandle;
import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ray.RayCluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The guide's "use with Ray Actors": the same pattern as a Ray Java actor. Runs Ray's LOCAL mode
 * here (no cluster); with {@code -Dray.address=<head>:6379} the same code uses a real cluster.
 */
public final class RayActorsExample {
    private RayActorsExample() {}

    /** A Ray actor that loads the model once (zero-copy) and predicts per call. */
    public static final class RayInferenceActor {
        private final Model model;
        private final Predictor<NDList, NDList> predictor;

        public RayInferenceActor(ModelWrapper<Model> wrapper) {
            this.model = wrapper.load();
            this.predictor = model.newPredictor(new NoopTranslator());
        }

        public float[] predict(float[] data) throws Exception {
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray x = manager.create(data, new Shape(1, data.length));
                return predictor.predict(new NDList(x)).singletonOrThrow().toFloatArray();
            }
        }
    }

    /** Creates 4 actors, calls each once with [0.1] * 128, and returns their outputs. */
    public static List<float[]> run() {
        boolean started = RayCluster.start();
        try (Model model = SimpleClassifier.create();
                ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(
                                BlockModel.of(SimpleClassifier::network, model), Mode.ACTOR)) {
            // On a cluster, actors on other nodes get the weights from Ray's object store: the
            // published copy of the wrapper carries them (a node materializes them once).
            ModelWrapper<Model> shippable = RayCluster.publish(wrapper);
            float[] data = new float[128];
            Arrays.fill(data, 0.1f);
            List<float[]> results = new ArrayList<>();
            // One actor at a time, each called before the next is created: in Ray 2.39's LOCAL
            // mode, work of one actor that overlaps another's (its constructor included) can run
            // on the wrong instance (ray-project/ray#61827). On a cluster, create all four, submit
            // every call, then Ray.get them together.
            for (int i = 0; i < 4; i++) {
                ActorHandle<RayInferenceActor> actor =
                        Ray.actor(RayInferenceActor::new, shippable).remote();
                ObjectRef<float[]> ref = actor.task(RayInferenceActor::predict, data).remote();
                results.add(Ray.get(ref));
            }
            return results;
        } finally {
            if (started) {
                RayCluster.shutdown();
            }
        }
    }

    public static void main(String[] args) {
        for (float[] r : run()) {
            System.out.println(Arrays.toString(r));
        }
    }
}
