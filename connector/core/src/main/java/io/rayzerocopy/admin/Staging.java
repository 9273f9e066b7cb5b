package io.rayzerocopy.admin;

import io.rayzerocopy.internal.data.StagingArea;

import java.util.List;
import java.util.Objects;

/**
 * The staging directories jobs leave next to their outputs while they run, and that a killed job
 * leaves behind (a job removes those of its own output when it starts, unless it resumes them).
 */
public final class Staging {
    private Staging() {}

    /** The staging directories of jobs on {@code output} (a path or URI), running or not. */
    public static List<StagingDirectory> list(String output) {
        Objects.requireNonNull(output, "output");
        return StagingArea.leftovers(output).stream().map(Staging::of).toList();
    }

    /**
     * Removes the staging directories of jobs that no longer run, of {@code output} and of every
     * output directly inside it (a path or URI); those of running jobs are kept.
     *
     * @return the directories removed
     */
    public static List<StagingDirectory> clean(String output) {
        Objects.requireNonNull(output, "output");
        return StagingArea.removeDead(output).stream().map(Staging::of).toList();
    }

    private static StagingDirectory of(StagingArea.Leftover l) {
        return new StagingDirectory(l.directory(), l.pid(), l.alive(), l.committedSplits());
    }
}
