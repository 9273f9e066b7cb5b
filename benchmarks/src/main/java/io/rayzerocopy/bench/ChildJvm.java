package io.rayzerocopy.bench;

import java.io.IOException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The harnesses' own child JVMs: this JVM's java and classpath, the {@code --add-opens} flags Arrow
 * and DJL need (the build's list; a test keeps them equal), DJL offline and its cache directory,
 * and the options given.
 */
final class ChildJvm {
    /** The flags every JVM of ours needs, as the parent pom's {@code jvm.opens}. */
    static final List<String> OPENS =
            List.of(
                    "--add-opens=java.base/java.nio=ALL-UNNAMED",
                    "--add-opens=java.base/java.lang=ALL-UNNAMED",
                    "--add-opens=java.base/java.math=ALL-UNNAMED",
                    "--add-opens=java.base/java.util=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                    "--add-opens=java.base/java.net=ALL-UNNAMED",
                    "--add-opens=java.base/java.text=ALL-UNNAMED",
                    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                    "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED");

    private ChildJvm() {}

    /** Starts {@code mainClass} with {@code options} and {@code args}; its stderr is ours. */
    static Process start(String mainClass, List<String> options, List<String> args)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(OPENS);
        command.add("-Dai.djl.offline=true");
        for (String key : List.of("DJL_CACHE_DIR", "logback.configurationFile")) {
            String value = System.getProperty(key);
            if (value != null) {
                command.add("-D" + key + "=" + value);
            }
        }
        command.addAll(options);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
