package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.translate.NoopTranslator;
import ai.djl.util.Pair;

import io.rayzerocopy.internal.model.ModelExtractor;
import io.rayzerocopy.internal.model.SafeTensors;
import io.rayzerocopy.internal.model.TorchScriptExtractor;

import org.junit.jupiter.api.Test;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

class ModelWrapperTest {
    static NDList predict(Model model, NDArray input) throws Exception {
        try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
            return predictor.predict(new NDList(input));
        }
    }

    static void assertMatches(NDArray actual, String fixture, String key) {
        double diff = Fixtures.maxAbsDiff(actual, Fixtures.ref(fixture, key));
        assertTrue(diff <= 1e-6, fixture + " " + key + ": max abs diff " + diff);
    }

    @Test
    void torchScriptFileLoadsZeroCopyAndMatchesPython() throws Exception {
        try (ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(
                                TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                                Mode.ACTOR);
                Model model = wrapper.load();
                NDManager manager = NDManager.newBaseManager()) {
            NDList out = predict(model, Fixtures.refArray(manager, "simple_classifier", "input"));
            assertMatches(out.singletonOrThrow(), "simple_classifier", "output");
            assertEquals(4, Stores.of(wrapper).tensors().size());
            long skeleton = Stores.of(wrapper).files().values().iterator().next();
            assertTrue(
                    skeleton < 20_000,
                    "skeleton has " + skeleton + " bytes, the whole file 150922");
            ZeroCopy.assertAllParametersInStore(model, wrapper);
        }
    }

    private static long handle(Model model) {
        return ((PtSymbolBlock) model.getBlock()).getHandle();
    }

    @Test
    void aTorchScriptSkeletonIsLoadedOncePerProcessAndReboundAtEveryLoad() throws Exception {
        try (ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(
                                TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                                Mode.ACTOR);
                NDManager manager = NDManager.newBaseManager()) {
            NDArray input = Fixtures.refArray(manager, "simple_classifier", "input");
            long first;
            long second;
            try (Model a = wrapper.load()) {
                first = handle(a);
                try (Model b = wrapper.load()) {
                    second = handle(b);
                    assertNotEquals(
                            first, second, "models open at once hold skeletons of their own");
                    assertMatches(
                            predict(b, input).singletonOrThrow(), "simple_classifier", "output");
                }
                assertMatches(predict(a, input).singletonOrThrow(), "simple_classifier", "output");
            }
            System.gc();
            try (Model c = wrapper.load()) {
                assertTrue(
                        handle(c) == first || handle(c) == second,
                        "a closed model's skeleton serves the next load");
                assertMatches(predict(c, input).singletonOrThrow(), "simple_classifier", "output");
                ZeroCopy.assertAllParametersInStore(c, wrapper);
            }
        }
    }

    @Test
    void djlModelHoldingTorchScriptIsAccepted() throws Exception {
        try (Model loaded = Model.newInstance("simple_classifier", Device.cpu(), "PyTorch")) {
            loaded.load(Fixtures.path("simple_classifier.pt"));
            try (ModelWrapper<Model> wrapper = ModelWrapper.fromModel(loaded, Mode.ACTOR);
                    Model model = wrapper.load();
                    NDManager manager = NDManager.newBaseManager()) {
                assertMatches(
                        predict(model, Fixtures.refArray(manager, "simple_classifier", "input"))
                                .singletonOrThrow(),
                        "simple_classifier",
                        "output");
            }
        }
    }

    @Test
    void weightFreeSkeletonPlusSafetensors() throws Exception {
        TorchScriptModel source =
                TorchScriptModel.fromSkeleton(
                        Fixtures.path("simple_classifier_skeleton.pt"),
                        Fixtures.path("simple_classifier.safetensors"));
        try (ModelWrapper<Model> wrapper = ModelWrapper.fromModel(source, Mode.ACTOR);
                Model model = wrapper.load();
                NDManager manager = NDManager.newBaseManager()) {
            assertMatches(
                    predict(model, Fixtures.refArray(manager, "simple_classifier", "input"))
                            .singletonOrThrow(),
                    "simple_classifier",
                    "output");
            ZeroCopy.assertAllParametersInStore(model, wrapper);
        }
    }

    /**
     * The guide's SimpleClassifier in Java, with Python's weights: must reproduce Python's outputs.
     */
    static Model javaClassifierWithPythonWeights() throws Exception {
        Model model = Model.newInstance("java-classifier", Device.cpu(), "PyTorch");
        model.setBlock(TestBlocks.classifier());
        model.getBlock()
                .initialize(
                        model.getNDManager(), DataType.FLOAT32, new Shape(1, TestBlocks.INPUTS));
        Map<String, String> names =
                Map.of(
                        "01Linear_weight",
                        "network.0.weight",
                        "01Linear_bias",
                        "network.0.bias",
                        "03Linear_weight",
                        "network.2.weight",
                        "03Linear_bias",
                        "network.2.bias");
        Map<String, ByteBuffer> python = new java.util.HashMap<>();
        for (SafeTensors.Entry e :
                SafeTensors.read(Fixtures.path("simple_classifier.safetensors"))) {
            python.put(e.name(), e.data());
        }
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            ByteBuffer src = python.get(names.get(p.getKey()));
            ByteBuffer copy = ByteBuffer.allocateDirect(src.remaining()).order(src.order());
            copy.put(src).flip();
            ((PtNDArray) p.getValue().getArray()).set(copy);
        }
        return model;
    }

    @Test
    void javaBlockSharesWeightsAndMatchesPython() throws Exception {
        try (Model trained = javaClassifierWithPythonWeights();
                ModelWrapper<Model> original =
                        ModelWrapper.fromModel(
                                BlockModel.of(TestBlocks::classifier, trained), Mode.ACTOR);
                Model model = Serialization.roundTrip(original).load();
                NDManager manager = NDManager.newBaseManager()) {
            assertMatches(
                    predict(model, Fixtures.refArray(manager, "simple_classifier", "input"))
                            .singletonOrThrow(),
                    "simple_classifier",
                    "output");
            ZeroCopy.assertAllParametersInStore(model, original);
        }
    }

    @Test
    void batchNormBuffersStayInSkeletonAndOutputsMatch() throws Exception {
        try (ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(
                                TorchScriptModel.fromFile(Fixtures.path("batchnorm_net.pt")),
                                Mode.ACTOR);
                Model model = wrapper.load();
                NDManager manager = NDManager.newBaseManager()) {
            assertMatches(
                    predict(model, Fixtures.refArray(manager, "batchnorm_net", "input"))
                            .singletonOrThrow(),
                    "batchnorm_net",
                    "output");
            // fc1 (2), bn weight/bias (2), fc2 (2) are parameters; running mean/var stay in the
            // skeleton.
            assertEquals(6, Stores.of(wrapper).tensors().size());
            try (ModelExtractor.Extracted x =
                    TorchScriptExtractor.of(Fixtures.path("batchnorm_net.pt"), null)
                            .extract("", List.of())) {
                assertEquals(
                        List.of(
                                "bn.running_mean Float[32] 128 bytes",
                                "bn.running_var Float[32] 128 bytes",
                                "bn.num_batches_tracked Long[] 8 bytes"),
                        x.privateTensors(),
                        "the buffers DJL cannot reach are listed as private");
            }
        }
    }

    @Test
    void modelWithoutParametersWorks() throws Exception {
        try (ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(
                                TorchScriptModel.fromFile(Fixtures.path("no_params.pt")),
                                Mode.ACTOR);
                Model model = wrapper.load();
                NDManager manager = NDManager.newBaseManager()) {
            assertEquals(0, Stores.of(wrapper).tensors().size());
            assertMatches(
                    predict(model, Fixtures.refArray(manager, "no_params", "input"))
                            .singletonOrThrow(),
                    "no_params",
                    "output");
        }
    }

    /** The guide's pipeline: two shared models and a copied config. */
    static final class EncoderDecoder implements Serializable, Function<NDList, NDList> {
        private static final long serialVersionUID = 1L;
        Model encoder;
        Model decoder;
        final Map<String, Double> config = Map.of("temp", 1.0);

        EncoderDecoder(Model encoder, Model decoder) {
            this.encoder = encoder;
            this.decoder = decoder;
        }

        @Override
        public NDList apply(NDList x) {
            try (Predictor<NDList, NDList> enc = encoder.newPredictor(new NoopTranslator());
                    Predictor<NDList, NDList> dec = decoder.newPredictor(new NoopTranslator())) {
                return dec.predict(enc.predict(x));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static EncoderDecoder pipelineSource() throws Exception {
        Model enc = Model.newInstance("encoder", Device.cpu(), "PyTorch");
        enc.load(Fixtures.path("encoder.pt"));
        Model dec = Model.newInstance("decoder", Device.cpu(), "PyTorch");
        dec.load(Fixtures.path("decoder.pt"));
        return new EncoderDecoder(enc, dec);
    }

    @Test
    void pipelineSharesBothModelsAndCopiesTheRest() throws Exception {
        EncoderDecoder source = pipelineSource();
        try (ModelWrapper<EncoderDecoder> wrapper = ModelWrapper.fromPipeline(source, Mode.ACTOR);
                NDManager manager = NDManager.newBaseManager()) {
            assertEquals(List.of("encoder", "decoder"), wrapper.modelNames());
            EncoderDecoder loaded = wrapper.load();
            assertTrue(loaded != source);
            assertEquals(1.0, loaded.config.get("temp"));
            ZeroCopy.assertAllParametersInStore(loaded.encoder, wrapper);
            ZeroCopy.assertAllParametersInStore(loaded.decoder, wrapper);
            assertMatches(
                    loaded.apply(new NDList(Fixtures.refArray(manager, "pipeline", "input")))
                            .singletonOrThrow(),
                    "pipeline",
                    "output");
            loaded.encoder.close();
            loaded.decoder.close();
        } finally {
            source.encoder.close();
            source.decoder.close();
        }
    }

    @Test
    void modelAttrNamesSelectExactlyThoseFields() throws Exception {
        EncoderDecoder source = pipelineSource();
        try (ModelWrapper<EncoderDecoder> wrapper =
                ModelWrapper.fromPipeline(source, Mode.ACTOR, List.of("decoder", "encoder"))) {
            assertEquals(List.of("decoder", "encoder"), wrapper.modelNames());
            IllegalArgumentException notModel =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> ModelWrapper.fromPipeline(source, Mode.ACTOR, List.of("config")));
            assertTrue(notModel.getMessage().contains("field 'config'"), notModel.getMessage());
            // A DJL model cannot be copied like a Python module: an unnamed model field is an error
            // naming it.
            IllegalArgumentException unnamed =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    ModelWrapper.fromPipeline(
                                            source, Mode.ACTOR, List.of("decoder")));
            assertTrue(
                    unnamed.getMessage().contains("pipeline field 'encoder'"),
                    unnamed.getMessage());
        } finally {
            source.encoder.close();
            source.decoder.close();
        }
    }

    static final class Unserializable {}

    static final class BadPipeline implements Serializable {
        private static final long serialVersionUID = 1L;
        Model encoder;
        Object tokenizer = new Unserializable();

        BadPipeline(Model encoder) {
            this.encoder = encoder;
        }
    }

    @Test
    void unserializablePipelineFieldIsNamed() throws Exception {
        try (Model enc = Model.newInstance("encoder", Device.cpu(), "PyTorch")) {
            enc.load(Fixtures.path("encoder.pt"));
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> ModelWrapper.fromPipeline(new BadPipeline(enc), Mode.ACTOR));
            assertTrue(e.getMessage().contains("pipeline field 'tokenizer'"), e.getMessage());
        }
    }

    @Test
    void taskModeCallsForwardAndExportedMethods() throws Exception {
        TorchScriptModel source = TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt"));
        try (ModelWrapper<Model> wrapped =
                        ModelWrapper.fromModel(source, Mode.TASK, List.of("forward", "embed"));
                NDManager manager = NDManager.newBaseManager()) {
            NDArray x = Fixtures.refArray(manager, "simple_classifier", "input");
            assertMatches(
                    wrapped.call(new NDList(x)).singletonOrThrow(), "simple_classifier", "output");
            NDArray embedded = wrapped.submit("embed", new NDList(x)).get().singletonOrThrow();
            assertMatches(embedded, "simple_classifier", "embed");
            assertSame(manager, embedded.getManager());
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> wrapped.call("train_step", new NDList(x)));
            assertTrue(e.getMessage().contains("[forward, embed]"), e.getMessage());
            IllegalStateException load = assertThrows(IllegalStateException.class, wrapped::load);
            assertTrue(load.getMessage().contains("task mode"), load.getMessage());
        }
    }

    @Test
    void forTasksOnPipelineAppliesIt() throws Exception {
        EncoderDecoder source = pipelineSource();
        try (ModelWrapper<EncoderDecoder> wrapped = ModelWrapper.fromPipeline(source, Mode.TASK);
                NDManager manager = NDManager.newBaseManager()) {
            assertMatches(
                    wrapped.call(new NDList(Fixtures.refArray(manager, "pipeline", "input")))
                            .singletonOrThrow(),
                    "pipeline",
                    "output");
        } finally {
            source.encoder.close();
            source.decoder.close();
        }
    }

    @Test
    void actorModeWrapperRefusesCallAndUnknownMethodsAreNamed() throws Exception {
        Path pt = Fixtures.path("simple_classifier.pt");
        try (ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(TorchScriptModel.fromFile(pt), Mode.ACTOR);
                NDManager manager = NDManager.newBaseManager()) {
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () -> wrapper.call(new NDList(manager.zeros(new Shape(1, 128)))));
            assertTrue(e.getMessage().contains("actor mode"), e.getMessage());
        }
        IllegalArgumentException bad =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                ModelWrapper.fromModel(
                                        TorchScriptModel.fromFile(pt), Mode.TASK, List.of("nope")));
        assertTrue(bad.getMessage().contains("no method 'nope'"), bad.getMessage());
    }

    @Test
    void wrapperIsSmallAndStoreIsRemovedAfterLastRelease() throws Exception {
        ModelWrapper<Model> wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR);
        byte[] bytes = Serialization.serialize(wrapper);
        assertTrue(bytes.length < 10_000, "serialized wrapper has " + bytes.length + " bytes");
        ModelWrapper<Model> copy = Serialization.deserialize(bytes);
        Path dir = Stores.directory(wrapper);
        Model model = copy.load();
        wrapper.close();
        assertTrue(Files.isDirectory(dir), "the loaded model still holds a lease");
        model.close();
        assertFalse(Files.exists(dir), "the store is removed when its last user releases it");
    }
}
