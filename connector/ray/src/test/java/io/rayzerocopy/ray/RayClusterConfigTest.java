package io.rayzerocopy.ray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ray.runtime.config.RayConfig;
import io.rayzerocopy.internal.exec.JvmLauncher;
import io.rayzerocopy.ray.internal.RayFnActor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Paths;
import java.util.List;

/** The job settings RayCluster writes are the ones Ray's own config reader sees; no Ray started. */
class RayClusterConfigTest {
    @AfterEach
    void clear() {
        RayCluster.setWorkerJvmOptions(List.of());
        System.clearProperty(RayCluster.CODE_SEARCH_PATH);
    }

    @Test
    void workerJvmOptionsAndCodeSearchPathReachRaysConfig() {
        List<String> options = RayCluster.defaultWorkerJvmOptions();
        assertTrue(options.containsAll(JvmLauncher.OPENS), options.toString());
        assertTrue(options.containsAll(JvmLauncher.actorJvmOptions()), options.toString());
        assertTrue(options.stream().noneMatch(o -> o.startsWith("-Xmx")), "Ray sizes its heap");
        assertTrue(options.contains("-Dai.djl.offline=true"), options.toString());
        RayCluster.setWorkerJvmOptions(List.of("-Xmx1g", "-Da=1", "-Db=2"));
        RayCluster.setWorkerJvmOptions(options);
        RayCluster.setCodeSearchPath(
                List.of(Paths.get("/opt/rzc/lib"), Paths.get("/opt/rzc/extra.jar")));

        RayConfig config = RayConfig.create();
        assertEquals(
                options,
                config.jvmOptionsForJavaWorker,
                "a shorter list replaces a longer one entirely");
        assertEquals(List.of("/opt/rzc/lib", "/opt/rzc/extra.jar"), config.codeSearchPath);
    }

    @Test
    void anEmptyCodeSearchPathAndAQueryBeforeStartAreRefusedWithTheFix() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> RayCluster.setCodeSearchPath(List.of()));
        assertTrue(e.getMessage().contains("directory holding our jars"), e.getMessage());
        IllegalStateException s =
                assertThrows(IllegalStateException.class, RayCluster::isLocalMode);
        assertTrue(s.getMessage().contains("RayCluster.start()"), s.getMessage());
        IllegalStateException a =
                assertThrows(
                        IllegalStateException.class, () -> RayFnActor.start(new TestFns.Echo()));
        assertTrue(a.getMessage().contains("RayCluster.start()"), a.getMessage());
    }
}
