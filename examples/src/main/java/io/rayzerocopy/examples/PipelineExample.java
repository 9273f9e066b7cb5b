package io.rayzerocopy.examples;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.translate.NoopTranslator;

import io.rayzerocopy.BlockModel;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Map;

/** The guide's pipeline: both models are shared zero-copy, the config is copied. */
public final class PipelineExample {
    private PipelineExample() {}

    /** An encoder and a decoder, plus a plain config. */
    public static final class MyPipeline implements Serializable {
        private static final long serialVersionUID = 1L;
        Model encoder;
        Model decoder;
        final Map<String, Double> config = Map.of("temp", 1.0);

        MyPipeline(Model encoder, Model decoder) {
            this.encoder = encoder;
            this.decoder = decoder;
        }

        /** decoder(encoder(x)) / temp. */
        public float[] call(float[] x) throws Exception {
            try (NDManager m = NDManager.newBaseManager();
                    Predictor<NDList, NDList> enc = encoder.newPredictor(new NoopTranslator());
                    Predictor<NDList, NDList> dec = decoder.newPredictor(new NoopTranslator())) {
                NDList hidden = enc.predict(new NDList(m.create(x, new Shape(1, x.length))));
                return dec.predict(hidden)
                        .singletonOrThrow()
                        .div(config.get("temp"))
                        .toFloatArray();
            }
        }
    }

    static SequentialBlock encoderNetwork() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(16).build())
                .add(Activation::tanh);
    }

    static SequentialBlock decoderNetwork() {
        return new SequentialBlock().add(Linear.builder().setUnits(4).build());
    }

    static Model model(String name, SequentialBlock block, int inputs) {
        Model m = Model.newInstance(name, Device.cpu(), "PyTorch");
        m.setBlock(block);
        block.initialize(m.getNDManager(), DataType.FLOAT32, new Shape(1, inputs));
        return m;
    }

    /** Runs the pipeline directly and through the wrapper; returns {direct, loaded}. */
    public static float[][] run() throws Exception {
        try (Model enc = model("encoder", encoderNetwork(), 32);
                Model dec = model("decoder", decoderNetwork(), 16)) {
            MyPipeline pipeline =
                    new MyPipeline(
                            BlockModel.register(enc, PipelineExample::encoderNetwork),
                            BlockModel.register(dec, PipelineExample::decoderNetwork));
            float[] x = new float[32];
            for (int i = 0; i < x.length; i++) {
                x[i] = (i - 16) / 8f;
            }
            try (ModelWrapper<MyPipeline> wrapper =
                    ModelWrapper.fromPipeline(pipeline, Mode.ACTOR)) {
                MyPipeline loaded = wrapper.load(); // both models loaded zero-copy, config copied
                try {
                    return new float[][] {pipeline.call(x), loaded.call(x)};
                } finally {
                    loaded.encoder.close();
                    loaded.decoder.close();
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        float[][] out = run();
        System.out.println("pipeline output: " + Arrays.toString(out[1]));
    }
}
