package io.rayzerocopy.internal.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import io.rayzerocopy.Fixtures;
import io.rayzerocopy.RefJson;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

class ModelCallTest {
    private static Model load(String fixture) throws Exception {
        Model model = Model.newInstance(fixture, Device.cpu(), Djl.engineName());
        model.load(Fixtures.path(fixture + ".pt"));
        return model;
    }

    /** libtorch's schema of the loaded model is the one Python printed when it saved it. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "two_in_two_out",
                "dict_out",
                "optional_mask",
                "traced_two_in",
                "bf16_mlp",
                "int_params"
            })
    void theSignatureIsPythonsSchema(String fixture) throws Exception {
        try (Model model = load(fixture)) {
            MethodSignature read = ModelCall.forward(model).signature();
            MethodSignature python = MethodSignature.parse(new RefJson(fixture).schema());
            assertEquals(python.args(), read.args());
            assertTrue(
                    !read.args().isEmpty() && read.args().stream().allMatch(a -> a.takesTensor()));
        }
        assertEquals(
                List.of(
                        new MethodSignature.Arg("x", "Tensor", false),
                        new MethodSignature.Arg("mask", "Tensor?", true)),
                MethodSignature.parse(new RefJson("optional_mask").schema()).args());
        assertEquals(
                List.of(
                        new MethodSignature.Arg("x", "Tensor", false),
                        new MethodSignature.Arg("k", "int", false)),
                MethodSignature.parse(
                                "top(__torch__.OptionalMask self, Tensor x, int k) ->" + " Tensor")
                        .args());
    }

    @Test
    void aFailedCallCarriesLibtorchsOwnCauseOnOneLine() throws Exception {
        try (Model model = load("simple_classifier");
                NDManager manager = NDManager.newBaseManager(Djl.engineName())) {
            EngineException e =
                    assertThrows(
                            EngineException.class,
                            () ->
                                    ModelCall.forward(model)
                                            .run(
                                                    List.of(manager.zeros(new Shape(256, 64))),
                                                    manager));
            assertEquals(
                    "forward failed: mat1 and mat2 shapes cannot be multiplied (256x64 and"
                            + " 128x256)",
                    e.getMessage());
            assertTrue(
                    e.getCause().getMessage().startsWith("The following operation failed"),
                    "the full TorchScript traceback stays in the cause");
        }
    }
}
