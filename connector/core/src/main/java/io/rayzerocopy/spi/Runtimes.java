package io.rayzerocopy.spi;

import io.rayzerocopy.RuntimeNames;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds {@link RuntimeProvider}s by name on the classpath (the thread's context class loader, else
 * core's), as {@code ServiceLoader} lists them in {@code
 * META-INF/services/io.rayzerocopy.spi.RuntimeProvider}. The first provider of a name wins.
 */
@Stable
public final class Runtimes {
    /** Runtimes that live in modules of their own, and the artifact that brings each. */
    private static final Map<String, String> ARTIFACTS =
            Map.of(
                    RuntimeNames.RAY,
                    "io.rayzerocopy:ray-zerocopy-ray",
                    RuntimeNames.SPARK,
                    "io.rayzerocopy:ray-zerocopy-spark (with Spark 4.1 itself, which it"
                            + " expects as a provided dependency)");

    private static final Map<ClassLoader, Map<String, RuntimeProvider>> FOUND =
            new ConcurrentHashMap<>();

    private Runtimes() {}

    /**
     * The provider named {@code name}.
     *
     * @throws IllegalArgumentException naming the artifact to add when a known runtime's module is
     *     missing, or the runtimes there are when the name is unknown
     */
    public static RuntimeProvider find(String name) {
        Map<String, RuntimeProvider> providers = available();
        RuntimeProvider provider = providers.get(name);
        if (provider != null) {
            return provider;
        }
        String artifact = ARTIFACTS.get(name);
        if (artifact != null) {
            throw new IllegalArgumentException(
                    "runtime '"
                            + name
                            + "' is not on the classpath: add the artifact "
                            + artifact
                            + " (runtimes here: "
                            + providers.keySet()
                            + ")");
        }
        throw new IllegalArgumentException(
                "unknown runtime '" + name + "'; the runtimes here are " + providers.keySet());
    }

    /** Every provider on the classpath, by name. */
    public static Map<String, RuntimeProvider> available() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = Runtimes.class.getClassLoader();
        }
        return FOUND.computeIfAbsent(
                loader,
                l -> {
                    Map<String, RuntimeProvider> byName = new TreeMap<>();
                    for (RuntimeProvider p : ServiceLoader.load(RuntimeProvider.class, l)) {
                        byName.putIfAbsent(p.name(), p);
                    }
                    return byName;
                });
    }
}
