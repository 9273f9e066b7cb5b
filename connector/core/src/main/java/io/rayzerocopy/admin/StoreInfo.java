package io.rayzerocopy.admin;

import io.rayzerocopy.internal.model.WeightStore;

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

    private final WeightStore.Info info;

    StoreInfo(WeightStore.Info info) {
        this.info = info;
    }

    /**
     * The store's id: its directory's name ({@code ModelWrapper.storeId()} for a committed one).
     */
    public String id() {
        return info.directory().getFileName().toString();
    }

    /** The directory. */
    public Path directory() {
        return info.directory();
    }

    /** Bytes on disk (shards and files). */
    public long bytes() {
        return info.bytes();
    }

    /** Leases held by live processes: the jobs and actors using it (0 while it is written). */
    public int liveLeases() {
        return info.liveLeases();
    }

    /** When the store was committed, or its writing started. */
    public Instant created() {
        return info.created();
    }

    /**
     * When a process last took or released a lease on it, i.e. last started or stopped using it
     * ({@link #created()} if none did).
     */
    public Instant lastUse() {
        return info.lastUse();
    }

    /** Committed (in use or not), or being written, or abandoned by its writer. */
    public State state() {
        return State.valueOf(info.state().name());
    }

    /** The process writing the store (or that died writing it); empty for a committed store. */
    public OptionalLong writerPid() {
        long pid = info.writerPid();
        return pid < 0 ? OptionalLong.empty() : OptionalLong.of(pid);
    }

    @Override
    public String toString() {
        return id() + " [" + state() + ", " + bytes() + " bytes, " + liveLeases() + " leases]";
    }
}
