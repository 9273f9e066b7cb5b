package io.rayzerocopy.admin;

import java.nio.file.Path;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * A weight store on this machine, or one being written, as {@link WeightStores#list()} sees it.
 * Immutable: a snapshot, not a handle.
 */
public final class StoreInfo {
    /** Whether a store is committed (used or not) or being written (or left by a dead writer). */
    public enum State {
        /** A committed store that live processes use. */
        IN_USE,
        /** A committed store no live process uses ({@link WeightStores#gc()} removes it). */
        UNUSED,
        /** A store being written (or copied here) by a live process. */
        WRITING,
        /** A store whose writer died mid-write ({@link WeightStores#gc()} removes it). */
        ABANDONED
    }

    private final Path directory;
    private final long bytes;
    private final int liveLeases;
    private final Instant created;
    private final State state;
    private final long writerPid;

    StoreInfo(
            Path directory,
            long bytes,
            int liveLeases,
            Instant created,
            State state,
            long writerPid) {
        this.directory = directory;
        this.bytes = bytes;
        this.liveLeases = liveLeases;
        this.created = created;
        this.state = state;
        this.writerPid = writerPid;
    }

    /**
     * The store's id: its directory's name ({@code ModelWrapper.storeId()} for a committed one).
     */
    public String id() {
        return directory.getFileName().toString();
    }

    /** The directory. */
    public Path directory() {
        return directory;
    }

    /** Bytes on disk (shards and files). */
    public long bytes() {
        return bytes;
    }

    /** Leases held by live processes: the jobs and actors using it (0 while it is written). */
    public int liveLeases() {
        return liveLeases;
    }

    /** When the store was committed, or its writing started. */
    public Instant created() {
        return created;
    }

    /** Committed (in use or not), or being written, or abandoned by its writer. */
    public State state() {
        return state;
    }

    /** The process writing the store (or that died writing it); empty for a committed store. */
    public OptionalLong writerPid() {
        return writerPid < 0 ? OptionalLong.empty() : OptionalLong.of(writerPid);
    }

    @Override
    public String toString() {
        return id() + " [" + state + ", " + bytes + " bytes, " + liveLeases + " leases]";
    }
}
