package io.rayzerocopy.model;

import ai.djl.engine.Engine;

import java.nio.file.Paths;

/**
 * DJL set-up shared by every entry point, applied before the engine starts: offline mode (DJL must
 * never download a native library or a model at run time), a libtorch cache directory we control,
 * and one torch thread per operation unless {@code -Dai.djl.pytorch.num_threads} says otherwise:
 * parallelism comes from actors, and libtorch's own thread pool shared by several actor threads
 * made a 256-row forward of the guide's MLP 25x slower here (17 ms against 0.7 ms).
 */
public final class Djl {
    /** The engine name of DJL's PyTorch engine. */
    public static final String ENGINE = "PyTorch";

    private Djl() {}

    static {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
            System.setProperty(
                    "DJL_CACHE_DIR",
                    Paths.get(System.getProperty("user.home"), ".cache", "ray-zerocopy", "djl")
                            .toString());
        }
    }

    /** Starts (once) and returns DJL's PyTorch engine, offline. */
    public static Engine engine() {
        return Engine.getEngine(ENGINE);
    }
}
