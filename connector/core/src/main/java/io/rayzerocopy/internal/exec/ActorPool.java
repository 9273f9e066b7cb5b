package io.rayzerocopy.internal.exec;

import io.rayzerocopy.DatasetException;
import io.rayzerocopy.internal.data.SettingNames;
import io.rayzerocopy.spi.ActorDiedException;
import io.rayzerocopy.spi.ActorHandle;
import io.rayzerocopy.spi.ActorRuntime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The actors of one map operator. Hands out the least-loaded ready actor with a free slot (at most
 * {@code maxInFlightPerActor} batches each); when none is free it starts another actor, up to
 * {@code maxActors}; actors idle for longer than {@code idleTimeout} are stopped, down to {@code
 * minActors}.
 */
final class ActorPool {
    private static final Logger LOG = LoggerFactory.getLogger(ActorPool.class);

    /** One actor and its load; guarded by the pool's monitor. */
    static final class Member {
        final ActorHandle handle;
        int inFlight;
        boolean ready;
        long idleSince;

        /** When the actor's latest call finished; calls on one actor run one after another. */
        long lastDoneNanos;

        Member(ActorHandle handle) {
            this.handle = handle;
        }
    }

    private final MapStage stage;
    private final String operator;
    private final ActorRuntime runtime;
    private final RunState state;
    private final long idleTimeoutNanos;
    private final List<Member> members = new ArrayList<>();
    private final List<CompletableFuture<Void>> stops = new ArrayList<>();
    private final int maxRestarts;
    private int starting;
    private int started;
    private int peak;
    private int restarts;

    ActorPool(
            MapStage stage,
            String operator,
            ActorRuntime runtime,
            RunState state,
            Duration idleTimeout,
            int maxRestarts) {
        this.maxRestarts = maxRestarts;
        this.stage = stage;
        this.operator = operator;
        this.runtime = runtime;
        this.state = state;
        this.idleTimeoutNanos = idleTimeout.toNanos();
    }

    /**
     * Starts the minimum number of actors and waits until the first of them is constructed: the
     * first batches go to it while the others finish starting (worker JVMs starting together on
     * few cores get ready up to seconds apart).
     */
    synchronized void start() throws InterruptedException {
        int cores = Runtime.getRuntime().availableProcessors();
        if (stage.maxActors() * stage.cpusPerActor() > cores) {
            LOG.warn(
                    "{}: {} actors x {} CPUs exceed the {} cores here; actors will share cores",
                    operator,
                    stage.maxActors(),
                    stage.cpusPerActor(),
                    cores);
        }
        while (!state.stopped() && readyCount() < 1) {
            if (members.size() < stage.minActors()) {
                startActor();
            } else {
                wait(50);
            }
        }
        while (!state.stopped() && members.size() < stage.minActors()) {
            startActor();
        }
    }

    /** A ready actor with a free slot, its slot taken; null if the run stopped. */
    synchronized Member acquire() throws InterruptedException {
        while (!state.stopped()) {
            Member best = null;
            for (Member m : members) {
                if (m.ready
                        && m.inFlight < stage.maxInFlightPerActor()
                        && (best == null || m.inFlight < best.inFlight)) {
                    best = m;
                }
            }
            if (best != null) {
                best.inFlight++;
                return best;
            }
            if (members.size() < stage.maxActors() && starting == 0) {
                startActor();
            }
            wait(50);
        }
        return null;
    }

    /**
     * Gives back the slot {@link #acquire()} took for a call submitted at {@code submittedNanos};
     * returns the call's service time: since an actor runs its calls one by one, a call started
     * when it was submitted or when the actor's previous call finished, whichever came later.
     */
    synchronized long release(Member member, long submittedNanos) {
        long now = System.nanoTime();
        long service = now - Math.max(submittedNanos, member.lastDoneNanos);
        member.lastDoneNanos = now;
        member.inFlight--;
        if (member.inFlight == 0) {
            member.idleSince = now;
        }
        notifyAll();
        return service;
    }

    /**
     * Takes a dead actor out of the pool so that {@link #acquire()} starts a replacement; returns
     * false (and fails the run, naming the actor) once more than {@code maxRestarts} actors died.
     */
    synchronized boolean replace(Member dead, ActorDiedException cause) {
        if (members.remove(dead)) {
            restarts++;
            if (restarts > maxRestarts) {
                state.fail(
                        new DatasetException(
                                operator
                                        + ": "
                                        + cause.getMessage()
                                        + "; "
                                        + restarts
                                        + " actors died, more than the "
                                        + maxRestarts
                                        + " restarts allowed ("
                                        + SettingNames.MAX_ACTOR_RESTARTS
                                        + ")",
                                cause));
                notifyAll();
                return false;
            }
            LOG.warn(
                    "{}: {}; replacing it (restart {} of at most {})",
                    operator,
                    cause.getMessage(),
                    restarts,
                    maxRestarts);
        }
        notifyAll();
        return restarts <= maxRestarts;
    }

    /** Stops actors that have been idle too long, keeping at least {@code minActors}. */
    synchronized void shrinkIdle() {
        long now = System.nanoTime();
        for (int i = members.size() - 1; i >= 0 && members.size() > stage.minActors(); i--) {
            Member m = members.get(i);
            if (m.ready && m.inFlight == 0 && now - m.idleSince > idleTimeoutNanos) {
                members.remove(i);
                LOG.info(
                        "{}: stopping idle actor {} ({} left)",
                        operator,
                        m.handle.name(),
                        members.size());
                stops.add(m.handle.stop());
            }
        }
    }

    /** Actors started over the run, and the most that ran at once. */
    synchronized String summary() {
        return started + " actors started, at most " + peak + " at once, " + restarts + " replaced";
    }

    /**
     * Stops every actor after its queued calls and waits for them.
     *
     * @throws DatasetException if an actor failed to close or leaked memory
     */
    void stop() throws InterruptedException {
        List<CompletableFuture<Void>> all;
        synchronized (this) {
            for (Member m : members) {
                stops.add(m.handle.stop());
            }
            members.clear();
            all = new ArrayList<>(stops);
        }
        DatasetException failure = null;
        for (CompletableFuture<Void> stop : all) {
            try {
                stop.get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (failure == null) {
                    failure = new DatasetException(operator + ": " + cause.getMessage(), cause);
                } else {
                    failure.addSuppressed(cause);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void startActor() {
        String name = operator + "-actor-" + started++;
        ActorHandle handle = runtime.start(stage.actor(), name);
        Member member = new Member(handle);
        members.add(member);
        peak = Math.max(peak, members.size());
        starting++;
        LOG.info(
                "{}: starting actor {} ({} of at most {})",
                operator,
                name,
                members.size(),
                stage.maxActors());
        handle.ready()
                .whenComplete(
                        (ok, error) -> {
                            synchronized (this) {
                                starting--;
                                if (error == null) {
                                    member.ready = true;
                                    member.idleSince = System.nanoTime();
                                } else {
                                    Throwable cause =
                                            error instanceof CompletionException
                                                            && error.getCause() != null
                                                    ? error.getCause()
                                                    : error;
                                    members.remove(member);
                                    if (restarts < maxRestarts && !state.stopped()) {
                                        restarts++;
                                        LOG.warn(
                                                "{}: constructing actor {} failed ({}); starting"
                                                        + " another (restart {} of at most {})",
                                                operator,
                                                name,
                                                cause.toString(),
                                                restarts,
                                                maxRestarts);
                                    } else {
                                        state.fail(
                                                new DatasetException(
                                                        operator
                                                                + ": constructing actor "
                                                                + name
                                                                + " with "
                                                                + stage.actor().name()
                                                                + " failed: "
                                                                + cause
                                                                + (restarts > 0
                                                                        ? " (after "
                                                                                + restarts
                                                                                + " restarts)"
                                                                        : ""),
                                                        cause));
                                    }
                                }
                                notifyAll();
                            }
                        });
    }

    private int readyCount() {
        return (int) members.stream().filter(m -> m.ready).count();
    }
}
