package io.rayzerocopy.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/** Runs each of the guide's examples and checks what it computed. */
class ExamplesTest {
    @Test
    void taskMode() {
        float[][] io = TaskModeExample.run();
        assertEquals(128, io[0].length);
        assertEquals(10, io[1].length);
    }

    @Test
    void actorModeScoresEveryRowWithFourActors() {
        List<Map<String, Object>> rows = ActorModeExample.run();
        assertEquals(100, rows.size());
        Object first = rows.get(0).get("predictions");
        for (Map<String, Object> row : rows) {
            assertEquals(
                    first.toString(),
                    row.get("predictions").toString(),
                    "identical inputs give identical outputs");
        }
        assertTrue(first.toString().split(",").length == 10, first.toString());
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
