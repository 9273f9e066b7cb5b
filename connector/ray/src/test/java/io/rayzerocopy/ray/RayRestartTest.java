package io.rayzerocopy.ray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.ray.internal.RayFnActor;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Test classes share surefire's JVM: Ray must start again after a shutdown, each time cleaned up.
 */
class RayRestartTest {
    @AfterAll
    static void stopRay() {
        RayCluster.shutdown();
    }

    @Test
    void startCallShutdownTwiceInOneJvmLeavesNoSessionDirectory() throws Exception {
        Set<Path> seen = new HashSet<>();
        for (int round = 0; round < 2; round++) {
            assertTrue(RayCluster.start());
            seen.addAll(ourSessionDirs());
            try (RayFnActor actor = RayFnActor.start(new TestFns.Id("round-" + round))) {
                assertArrayEquals(
                        ("round-" + round).getBytes(StandardCharsets.UTF_8),
                        actor.call(new byte[0]));
            }
            assertTrue(RayCluster.shutdown());
            assertFalse(RayCluster.shutdown(), "a second shutdown() is a no-op");
            assertEquals(Set.of(), ourSessionDirs(), "round " + round);
        }
        // Ray extracts its native library into a session directory only on the JVM's first start.
        assertTrue(seen.size() <= 1, "session directories created: " + seen);
        assertFalse(
                System.getProperties().containsKey(RayCluster.RUN_MODE),
                "the run mode start() set is cleared");
    }

    private static Set<Path> ourSessionDirs() throws Exception {
        String suffix = "_" + ProcessHandle.current().pid();
        Path root = Paths.get("/tmp/ray");
        if (!Files.isDirectory(root)) {
            return Set.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(
                            d ->
                                    d.getFileName().toString().startsWith("session_local_mode_")
                                            && d.getFileName().toString().endsWith(suffix))
                    .collect(Collectors.toSet());
        }
    }
}
