package io.rayzerocopy.internal.model;

import ai.djl.engine.Engine;

/**
 * Starts DJL's PyTorch engine the way every entry point of ours needs it. Before the engine's first
 * start it fills in the DJL settings the user left unset: offline mode (DJL must never download a
 * native library or a model at run time), a libtorch cache directory we control, and one torch
 * thread per operation, since parallelism comes from actors and libtorch's own thread pool shared
 * by several actor threads made a 256-row forward of the guide's MLP 25x slower here (17 ms against
 * 0.7 ms). Settings the user gave ({@code -Dai.djl.pytorch.num_threads=4}, {@code DJL_CACHE_DIR})
 * win. DJL reads them from system properties once, when the engine starts, which is why they are
 * set here and nowhere else.
 */
public final class Djl {
    private static final String ENGINE = "PyTorch";
    private static volatile Engine engine;

    private Djl() {}

    /** Starts (once) and returns DJL's PyTorch engine, offline. */
    public static Engine engine() {
        Engine started = engine;
        if (started == null) {
            synchronized (Djl.class) {
                started = engine;
                if (started == null) {
                    applyDefaults();
                    started = Engine.getEngine(ENGINE);
                    engine = started;
                }
            }
        }
        return started;
    }

    /** The engine name to pass to {@code Model.newInstance}; starts the engine. */
    public static String engineName() {
        return engine().getEngineName();
    }

    private static void applyDefaults() {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("ai.djl.pytorch.num_threads", "1");
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
        if (System.getenv("DJL_CACHE_DIR") == null) {
            setIfAbsent("DJL_CACHE_DIR", CacheDirs.of("djl").toString());
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
