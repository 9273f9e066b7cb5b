package io.rayzerocopy.spi;

import io.rayzerocopy.internal.FileTrees;
import io.rayzerocopy.internal.exec.JobScratch;
import io.rayzerocopy.internal.exec.JvmLauncher;
import io.rayzerocopy.internal.model.ProcessMemory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What an engine that starts JVMs of its own (Ray workers, Spark executors) gives them so they run
 * our code as this JVM does, and small services for its processes.
 */
@Experimental
public final class WorkerJvms {
    private WorkerJvms() {}

    /** The {@code --add-opens} flags every JVM running our code needs (Arrow, Ray). */
    public static List<String> requiredFlags() {
        return JvmLauncher.OPENS;
    }

    /**
     * Options for a JVM that hosts actors, measured on small machines: a small young generation
     * and initial heap, SerialGC, the quick compiler alone, a small code cache. No heap maximum:
     * each engine chooses its own.
     */
    public static List<String> actorOptions() {
        return JvmLauncher.actorJvmOptions();
    }

    /**
     * {@link #requiredFlags()} and this JVM's settings a child must share (DJL offline and its
     * cache, the store directory, the log configuration), as {@code -D} flags.
     */
    public static List<String> childFlags() {
        return JvmLauncher.childJvmFlags();
    }

    /** This JVM's classpath, as a JVM of the same code needs it (also under surefire). */
    public static String classpath() {
        return JvmLauncher.classpath();
    }

    /** This process's proportional set size in KiB, or -1 where /proc is not available. */
    public static long selfPssKb() {
        return ProcessMemory.selfPssKb();
    }

    /**
     * A new scratch directory for the temporary files of the engine's processes on this machine
     * (mode 700, under {@code java.io.tmpdir}), named after this process: delete it with {@link
     * #deleteTree} when the job ends; if this process is killed first, the next job (or {@code rzc
     * store gc}) removes it.
     */
    public static Path scratchDirectory() {
        return JobScratch.create();
    }

    /** Deletes {@code root} and everything below it, never following a symbolic link. */
    public static void deleteTree(Path root) throws IOException {
        FileTrees.deleteTree(root);
    }
}
