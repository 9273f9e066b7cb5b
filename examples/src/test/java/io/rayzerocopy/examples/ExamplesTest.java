package io.rayzerocopy.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/** Runs each of the guide's examples and compares what it computed with the model's own output. */
class ExamplesTest {
    @Test
    void taskModeGivesTheModelsOwnOutput() {
        float[][] io = TaskModeExample.run();
        assertEquals(128, io[0].length);
        assertEquals(10, io[1].length);
        assertArrayEquals(io[2], io[1], 1e-6f);
    }

    @Test
    void actorModeScoresEveryRowWithFourActorsAsTheModelDoes() {
        ActorModeExample.Result result = ActorModeExample.run();
        assertEquals(100, result.rows().size());
        for (Map<String, Object> row : result.rows()) {
            List<?> predictions = (List<?>) row.get("predictions");
            assertEquals(10, predictions.size());
            for (int i = 0; i < 10; i++) {
                // Batches of 32 and of 4 rows take different matmul kernels: equal to 1e-5.
                assertEquals(result.direct()[i], ((Number) predictions.get(i)).floatValue(), 1e-5);
            }
        }
    }

    @Test
    void rayActorsAllAnswerTheSame() {
        List<float[]> results = RayActorsExample.run();
        assertEquals(4, results.size());
        for (float[] r : results) {
            assertEquals(10, r.length);
            assertArrayEquals(results.get(0), r, 0f);
        }
    }

    @Test
    void pipelineThroughTheWrapperEqualsTheDirectPipeline() throws Exception {
        float[][] out = PipelineExample.run();
        assertEquals(4, out[0].length);
        assertArrayEquals(out[0], out[1], 1e-6f);
    }

    @Test
    void devicePlacementLoadsOnCpuWithoutAGpu() {
        assertEquals(Device.cpu(), DevicePlacementExample.run());
    }
}
