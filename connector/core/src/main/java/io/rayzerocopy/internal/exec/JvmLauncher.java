package io.rayzerocopy.internal.exec;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.io.IOException;
import java.lang.management.ManagementFactory;
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

    private static final boolean TRIMS_NATIVE_HEAP = hasVmOption("TrimNativeHeapInterval");

    private JvmLauncher() {}

    /**
     * JVM options for any JVM that hosts actors (worker processes, Ray actors), measured here: a
     * young generation capped at 8 MB (a scoring worker's default eden of ~100 MB was touched page
     * by page before its first GC: -92 MB each), a 16 MB initial heap and one GC thread (Serial),
     * the quick compiler alone (an actor's hot path is libtorch and memory copies; C2's compile
     * threads on every new JVM competed with scoring; pass {@code -XX:TieredStopAtLevel=4} for an
     * actor that computes in Java), a 32 MB code cache, no perf-data file, and freed native memory
     * given back to the OS every second where the JVM can (JDK 17.0.9+). They set no heap maximum:
     * each runtime chooses its own.
     */
    public static List<String> actorJvmOptions() {
        List<String> options =
                new ArrayList<>(
                        List.of(
                                "-XX:+UseSerialGC",
                                "-Xms16m",
                                "-Xmn8m",
                                "-XX:TieredStopAtLevel=1",
                                "-XX:ReservedCodeCacheSize=32m",
                                "-XX:-UsePerfData"));
        if (TRIMS_NATIVE_HEAP) {
            options.add("-XX:TrimNativeHeapInterval=1000");
        }
        return options;
    }

    /** Whether this JVM, and so a child started with the same java, knows the option. */
    private static boolean hasVmOption(String name) {
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name);
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return false;
        }
    }

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
        cmd.addAll(childJvmFlags());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classpath());
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /**
     * The JVM flags a JVM that runs our code on this machine gets: {@link #OPENS} and this JVM's
     * settings it must share (DJL offline and its cache, the store directory, the log config).
     */
    public static List<String> childJvmFlags() {
        List<String> flags = new ArrayList<>(OPENS);
        for (String key : INHERITED) {
            String value = System.getProperty(key);
            if (value != null) {
                flags.add("-D" + key + "=" + value);
            }
        }
        return flags;
    }

    /** Starts {@code mainClass} in a new JVM; its stderr goes to this process's stderr. */
    public static Process start(String mainClass, List<String> jvmArgs, List<String> args)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(mainClass, jvmArgs, args));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return pb.start();
    }

    /** This JVM's classpath, as a child JVM of the same code needs it (also under surefire). */
    public static String classpath() {
        String cp = System.getProperty("java.class.path");
        String surefire = System.getProperty("surefire.test.class.path");
        if (surefire != null && !surefire.isEmpty()) {
            return surefire;
        }
        return cp == null ? "" : cp;
    }
}
