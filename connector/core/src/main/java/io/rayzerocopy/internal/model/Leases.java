package io.rayzerocopy.internal.model;

import io.rayzerocopy.StoreException;
import io.rayzerocopy.internal.FileTrees;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Who uses which store under one store directory: one lease file per process and use, in {@code
 * leases/<store id>/}, named by its holder ({@link LeaseNames}) so that leases of processes that
 * died are told apart. Also the lock that orders every change of the directory among processes (a
 * file lock) and threads (a JVM lock: a file lock is held per JVM, not per thread).
 */
final class Leases {
    private static final Logger LOG = LoggerFactory.getLogger(Leases.class);
    private static final String LEASES_DIR = "leases";
    private static final String LOCK_FILE = ".lock";
    private static final ReentrantLock JVM_LOCK = new ReentrantLock();

    private final Path root;
    private final Set<Path> mine = ConcurrentHashMap.newKeySet();

    Leases(Path root) {
        this.root = root;
    }

    /** An action on the store directory, run under its lock. */
    interface LockedAction<T> {
        T run() throws IOException;
    }

    /** Runs {@code action} holding the store directory's lock. */
    <T> T locked(LockedAction<T> action) {
        JVM_LOCK.lock();
        try (FileChannel ch =
                        FileChannel.open(
                                root.resolve(LOCK_FILE),
                                StandardOpenOption.CREATE,
                                StandardOpenOption.WRITE);
                FileLock ignored = FileLocks.lock(ch)) {
            return action.run();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "weight store directory " + root + ": " + e.getMessage(), e);
        } finally {
            JVM_LOCK.unlock();
        }
    }

    /** Takes a lease of this process on the committed store {@code dir}; hold the lock. */
    Path acquire(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new StoreException(
                    "weight store "
                            + dir
                            + " does not exist: it was deleted while a wrapper still referred to"
                            + " it; re-create the wrapper with ModelWrapper.fromModel");
        }
        Path leases = leaseDir(dir.getFileName().toString());
        Files.createDirectories(leases);
        Path lease = Files.createFile(leases.resolve(LeaseNames.newName()));
        mine.add(lease);
        return lease;
    }

    /** Deletes a lease of this process; hold the lock. */
    void release(Path lease) throws IOException {
        mine.remove(lease);
        Files.deleteIfExists(lease);
    }

    /** The leases this process still holds (for releasing them at exit). */
    List<Path> mine() {
        return List.copyOf(mine);
    }

    /** The store a lease file is on. */
    static String storeOf(Path lease) {
        return lease.getParent().getFileName().toString();
    }

    /** Leases on store {@code id} whose holders are alive. Changes nothing. */
    List<Path> live(String id) throws IOException {
        List<Path> live = new ArrayList<>();
        for (Path lease : all(id)) {
            if (LeaseNames.isAlive(lease.getFileName().toString())) {
                live.add(lease);
            }
        }
        return live;
    }

    /** The pids of the live holders of leases on store {@code id}. Changes nothing. */
    List<Long> holders(String id) throws IOException {
        List<Long> pids = new ArrayList<>();
        for (Path lease : live(id)) {
            long pid = LeaseNames.pid(lease.getFileName().toString());
            if (!pids.contains(pid)) {
                pids.add(pid);
            }
        }
        return pids;
    }

    /** Deletes the leases on store {@code id} of processes that are gone; hold the lock. */
    void collectDead(String id) throws IOException {
        for (Path lease : all(id)) {
            if (!LeaseNames.isAlive(lease.getFileName().toString())) {
                LOG.info("collecting lease {} of a process that is gone", lease);
                Files.deleteIfExists(lease);
            }
        }
    }

    /** Deletes every lease on store {@code id}, which was removed; hold the lock. */
    void forget(String id) throws IOException {
        FileTrees.deleteTree(leaseDir(id));
    }

    /**
     * When a lease on store {@code id} was last taken or released (the lease directory's change
     * time), or empty if none ever was.
     */
    Optional<Instant> lastChange(String id) throws IOException {
        try {
            return Optional.of(Files.getLastModifiedTime(leaseDir(id)).toInstant());
        } catch (NoSuchFileException none) {
            return Optional.empty();
        }
    }

    private List<Path> all(String id) throws IOException {
        Path dir = leaseDir(id);
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        } catch (NoSuchFileException none) {
            return List.of();
        }
    }

    private Path leaseDir(String id) {
        return root.resolve(LEASES_DIR).resolve(id);
    }
}
