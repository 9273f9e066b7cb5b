package io.rayzerocopy.internal.model;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * What an actor's constructor loaded: models loaded from a wrapper while an actor is being
 * constructed belong to that actor and are closed when it stops, after its own {@code close()}
 * (closing a model twice is harmless). So an actor never leaks a model or its mapping, a pipeline's
 * models are closed together, and user code need not close what it loaded.
 */
public final class ActorScope implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ActorScope.class);
    private static final ThreadLocal<ActorScope> CURRENT = new ThreadLocal<>();

    private final List<AutoCloseable> owned = new ArrayList<>();
    private ActorScope outer;

    private ActorScope() {}

    /**
     * Starts collecting what the current thread loads; call {@link #exit()} when construction ends.
     */
    public static ActorScope enter() {
        ActorScope scope = new ActorScope();
        scope.outer = CURRENT.get();
        CURRENT.set(scope);
        return scope;
    }

    /** Stops collecting on this thread. */
    public void exit() {
        CURRENT.set(outer);
    }

    /** Gives {@code resource} to the actor being constructed on this thread, if any. */
    public static void own(AutoCloseable resource) {
        ActorScope scope = CURRENT.get();
        if (scope != null) {
            scope.owned.add(resource);
        }
    }

    /** Closes what the actor loaded, last loaded first. */
    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                LOG.warn("closing a model the actor loaded failed: {}", e.toString());
            }
        }
        owned.clear();
    }
}
