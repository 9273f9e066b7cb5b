package io.rayzerocopy.internal.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * TorchScript skeletons loaded by libtorch once per process and reused. Loading a skeleton is most
 * of a zero-copy TorchScript load (libtorch compiles its code, and runs a backward-compatibility
 * pass over every submodule: 19–20 ms of CPU for 64 layers here), and the result does not depend on
 * the weights, which {@code set_} re-points at a store on every load. A model takes a loaded
 * skeleton exclusively ({@link #take}) and gives it back when it is closed, so the same process's
 * next load of the same skeleton (another actor, the next job) skips libtorch's load. Up to {@value
 * #MAX_IDLE} idle skeletons are kept per file, while the file (in its store) exists; a skeleton's
 * parameters keep pointing at the mapping they were last bound to until they are bound again, and
 * nothing reads them meanwhile.
 */
final class SkeletonPool {
    static final int MAX_IDLE = 8;

    private static final Map<String, Deque<Lease>> IDLE = new HashMap<>();

    private SkeletonPool() {}

    /** A loaded skeleton held by one model; {@link #close()} gives it back to the pool. */
    static final class Lease implements AutoCloseable {
        private final String key;
        private final Path file;
        private final NDManager owner;
        private final PtSymbolBlock block;
        private boolean open = true;

        private Lease(String key, Path file, NDManager owner, PtSymbolBlock block) {
            this.key = key;
            this.file = file;
            this.owner = owner;
            this.block = block;
        }

        PtSymbolBlock block() {
            return block;
        }

        /** Gives the skeleton back for the next load of the same file in this process. */
        @Override
        public void close() {
            synchronized (IDLE) {
                if (!open) {
                    return;
                }
                open = false;
                Deque<Lease> idle = IDLE.computeIfAbsent(key, k -> new ArrayDeque<>());
                // A removed store's skeleton is never loaded again: freed, not kept.
                if (idle.size() < MAX_IDLE && Files.exists(file)) {
                    idle.addFirst(new Lease(key, file, owner, block));
                    return;
                }
            }
            owner.close();
        }

        /** Frees the skeleton instead: a load that failed half-way leaves it in no known state. */
        void discard() {
            synchronized (IDLE) {
                if (!open) {
                    return;
                }
                open = false;
            }
            owner.close();
        }
    }

    /** A skeleton loaded from {@code file} on {@code device}, reused if one is idle. */
    static Lease take(Path file, Device device) {
        String key = file.toAbsolutePath() + "@" + device;
        List<Lease> stale = new ArrayList<>();
        Lease lease;
        synchronized (IDLE) {
            // Skeletons of stores removed since (their files are gone) go, so a long-lived
            // process does not keep one set per model it ever loaded.
            IDLE.values()
                    .removeIf(
                            idle -> {
                                boolean gone = !idle.isEmpty() && !Files.exists(idle.peek().file);
                                if (gone) {
                                    stale.addAll(idle);
                                }
                                return gone || idle.isEmpty();
                            });
            Deque<Lease> idle = IDLE.get(key);
            lease = idle == null ? null : idle.pollFirst();
        }
        stale.forEach(l -> l.owner.close());
        if (lease != null) {
            return lease;
        }
        NDManager owner = Djl.engine().newBaseManager(device);
        try {
            PtSymbolBlock block =
                    JniUtils.loadModule(
                            (PtNDManager) owner, file, false, new String[0], new String[0], true);
            return new Lease(key, file, owner, block);
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
    }
}
