package io.rayzerocopy.internal.exec;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts JVMs on this machine with the same Java, classpath and the flags our code needs (the
 * {@code --add-opens} Arrow and Ray require, DJL offline, the store directory), so a child process
 * can deserialize and run what the parent built.
 */
public final class JvmLauncher {
    /**
     * Flags every JVM of ours needs: Arrow and Ray reflect into java.base. Mirrors the parent pom.
     */
    public static final List<String> OPENS =
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

    private static final List<String> INHERITED =
            List.of(
                    "ai.djl.offline",
                    "DJL_CACHE_DIR",
                    "rzc.store.dir",
                    "logback.configurationFile");

    private JvmLauncher() {}

    /** The java executable running this JVM. */
    public static Path javaExecutable() {
        return Paths.get(System.getProperty("java.home"), "bin", "java");
    }

    /**
     * The command line for {@code mainClass} in a new JVM: this JVM's classpath, our flags, the
     * inherited system properties, then {@code jvmArgs}, the class and its {@code args}.
     */
    public static List<String> command(String mainClass, List<String> jvmArgs, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaExecutable().toString());
        cmd.addAll(OPENS);
        for (String key : INHERITED) {
            String value = System.getProperty(key);
            if (value != null) {
                cmd.add("-D" + key + "=" + value);
            }
        }
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classpath());
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /** Starts {@code mainClass} in a new JVM; its stderr goes to this process's stderr. */
    public static Process start(String mainClass, List<String> jvmArgs, List<String> args)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(mainClass, jvmArgs, args));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return pb.start();
    }

    /** The classpath child JVMs get: this JVM's (the test classpath under surefire). */
    static String classpath() {
        String cp = System.getProperty("java.class.path");
        String surefire = System.getProperty("surefire.test.class.path");
        if (surefire != null && !surefire.isEmpty()) {
            return surefire;
        }
        return cp == null ? "" : cp;
    }
}
