package io.rayzerocopy.model;

import ai.djl.engine.Engine;
import java.nio.file.Paths;

/**
 * DJL set-up shared by every entry point: offline mode (DJL must never download a native library or
 * a model at run time) and a libtorch cache directory we control, both set before the engine starts.
 */
public final class Djl {
    /** The engine name of DJL's PyTorch engine. */
    public static final String ENGINE = "PyTorch";

    private Djl() {}

    static {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
            System.setProperty("DJL_CACHE_DIR",
                    Paths.get(System.getProperty("user.home"), ".cache", "ray-zerocopy", "djl").toString());
        }
    }

    /** Starts (once) and returns DJL's PyTorch engine, offline. */
    public static Engine engine() {
        return Engine.getEngine(ENGINE);
    }
}
