package io.rayzerocopy.admin;

import java.util.OptionalLong;

/**
 * A hidden staging directory ({@code .<out>.rzc-tmp-*}) a job builds its output in, next to the
 * output, until it commits: one left by a job that was killed, or one still being written.
 * Immutable: a snapshot ({@link Staging}).
 */
public final class StagingDirectory {
    private final String directory;
    private final long pid;
    private final boolean alive;
    private final int committedInputFiles;

    StagingDirectory(String directory, long pid, boolean alive, int committedInputFiles) {
        this.directory = directory;
        this.pid = pid;
        this.alive = alive;
        this.committedInputFiles = committedInputFiles;
    }

    /** The directory, as a path or a URI with any credentials masked. */
    public String directory() {
        return directory;
    }

    /** The process of the job that owns it; empty if a failed run released it for a resume. */
    public OptionalLong ownerPid() {
        return pid < 0 ? OptionalLong.empty() : OptionalLong.of(pid);
    }

    /** Who left it, for messages: {@code job pid N} or {@code a failed run, kept to be resumed}. */
    public String owner() {
        return pid >= 0 ? "job pid " + pid : "a failed run, kept to be resumed";
    }

    /** Whether its job still runs (then nothing removes it). */
    public boolean alive() {
        return alive;
    }

    /** Input files whose output the job had committed into it ({@code --resume} skips them). */
    public int committedInputFiles() {
        return committedInputFiles;
    }

    @Override
    public String toString() {
        return directory + " (" + owner() + ")";
    }
}
