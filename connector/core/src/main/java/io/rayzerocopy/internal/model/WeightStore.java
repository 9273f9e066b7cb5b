package io.rayzerocopy.internal.model;

import ai.djl.ndarray.types.DataType;

import io.rayzerocopy.StoreException;
import io.rayzerocopy.internal.FileTrees;
import io.rayzerocopy.spi.StoreSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The node-local directory of weight stores. A store is a directory named by the content hash of
 * the weights it holds ({@link StoreLayout}: safetensors shards, extra files such as TorchScript
 * skeletons, a manifest). It is written once per machine under a temporary name that records its
 * writer, renamed into place, and made read-only; every actor maps it.
 *
 * <p>Users of a store hold leases ({@link Leases}); when the last lease is released the store is
 * removed, and stores whose every user died, and temporary stores whose writer died, are collected.
 * Which directory this machine uses is {@link StoreRoots}'s choice.
 */
public final class WeightStore {
    /**
     * A tensor to write: name, type, shape and its bytes (little-endian, contiguous), from a buffer
     * or from a range of a file (copied into the store without being read into memory).
     */
    public static final class Tensor {
        private final String name;
        private final DataType dataType;
        private final long[] shape;
        private final TensorBytes bytes;

        /** Creates a tensor to write; {@code data} is read from its position to its limit. */
        public Tensor(String name, DataType dataType, long[] shape, ByteBuffer data) {
            this(name, dataType, shape, TensorBytes.of(data));
        }

        Tensor(String name, DataType dataType, long[] shape, TensorBytes bytes) {
            this.name = Objects.requireNonNull(name, "name");
            this.dataType = Objects.requireNonNull(dataType, "dataType");
            this.shape = shape.clone();
            this.bytes = bytes;
            long numel = 1;
            for (long d : shape) {
                numel *= d;
            }
            if (numel * dataType.getNumOfBytes() != bytes.size()) {
                throw new IllegalArgumentException(
                        "tensor '"
                                + name
                                + "': "
                                + bytes.size()
                                + " bytes given for shape "
                                + Arrays.toString(shape)
                                + " of "
                                + dataType);
            }
        }

        /** The tensor's name. */
        public String name() {
            return name;
        }

        /** Element type. */
        public DataType dataType() {
            return dataType;
        }

        /** Shape as text, e.g. {@code [256, 128]}. */
        public String shapeString() {
            return Arrays.toString(shape);
        }

        /** Size in bytes. */
        public long byteSize() {
            return bytes.size();
        }

        /** The dimensions. */
        public long[] shape() {
            return shape.clone();
        }

        /** Where the bytes come from. */
        TensorBytes bytes() {
            return bytes;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(WeightStore.class);
    private static final long DEFAULT_MAX_SHARD = Integer.MAX_VALUE - (64L << 20);
    private static final String PREFIX = "rzc-";
    private static final String TRASH_PREFIX = ".trash-";
    private static final String DIGESTS = ".digests";
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final Set<String> VERIFIED = ConcurrentHashMap.newKeySet();
    private static final Map<Path, WeightStore> OPEN = new ConcurrentHashMap<>();
    private static final Map<Path, Object> MATERIALIZING = new ConcurrentHashMap<>();
    private static final String MATERIALIZE_LOCK = ".materialize-";

    private final Path root;
    private final long maxShardBytes;
    private final Leases leases;

    /** The stores this process maps, by id, while any model uses them. */
    private final Map<String, MappedStore> mapped = new ConcurrentHashMap<>();

    private WeightStore(Path root, long maxShardBytes) {
        this.root = root;
        this.maxShardBytes = maxShardBytes;
        this.leases = new Leases(root);
    }

    /** The store directory of this machine, chosen as {@link StoreRoots} says. */
    public static WeightStore local() {
        return StoreRoots.ofThisProcess().open();
    }

    /** The store directory at {@code root}, created owner-only if missing. */
    public static WeightStore at(Path root) {
        Path abs = root.toAbsolutePath().normalize();
        return OPEN.computeIfAbsent(
                abs,
                r -> {
                    WeightStore store = new WeightStore(r, DEFAULT_MAX_SHARD);
                    store.ensureRoot();
                    Runtime.getRuntime()
                            .addShutdownHook(
                                    new Thread(store::releaseAllLeases, "rzc-store-leases"));
                    return store;
                });
    }

    /** A store directory with a custom shard size limit (tests use it to force several shards). */
    static WeightStore at(Path root, long maxShardBytes) {
        WeightStore store = new WeightStore(root.toAbsolutePath().normalize(), maxShardBytes);
        store.ensureRoot();
        return store;
    }

    /**
     * The directory {@link #local()} uses, found without creating anything (see {@link
     * StoreRoots}).
     */
    public static Path defaultRoot() {
        return StoreRoots.ofThisProcess().preferred();
    }

    /** The root directory. */
    public Path root() {
        return root;
    }

    /** The directory of {@code ref}'s store on this machine. */
    public Path directory(StoreRef ref) {
        return root.resolve(ref.id());
    }

    /**
     * The directory a store of these tensors and files would have under this root (whether or not
     * it exists), computed without writing anything.
     */
    public Path directoryFor(List<Tensor> tensors, Map<String, byte[]> files) {
        return root.resolve(
                PREFIX + StoreChecks.contentHash(tensors, files, digestCache()).substring(0, 32));
    }

    /**
     * Where digests of model files are kept (see {@link TensorBytes#sha256}): a directory of the
     * owner-only store root, so no other user can plant one.
     */
    private Path digestCache() {
        return root.resolve(DIGESTS);
    }

    /**
     * The reference to the committed store {@code id} under this root, read from its manifest.
     *
     * @throws StoreException if there is no such store here
     */
    public StoreRef ref(String id) {
        Path dir = root.resolve(id);
        try {
            return StoreLayout.readManifest(dir);
        } catch (IOException e) {
            throw new StoreException("weight store " + dir + " cannot be read: " + e, e);
        }
    }

    /**
     * Writes the tensors and files as a store, or adopts the identical store already on this
     * machine (checking its content against its hash the first time this process adopts it), and
     * takes a lease on it for this process.
     *
     * @param tensors the tensors, in the order they should be laid out
     * @param files extra files by name (e.g. a TorchScript skeleton)
     * @return this process's lease on the committed store; close it to release the store
     * @throws StoreException if the store directory has no room for the store (the message names
     *     the bytes needed and how to choose another directory)
     */
    public Lease write(List<Tensor> tensors, Map<String, byte[]> files) {
        Set<String> names = new HashSet<>();
        for (Tensor t : tensors) {
            if (!names.add(t.name())) {
                throw new IllegalArgumentException(
                        "two tensors are named '" + t.name() + "': tensor names must be unique");
            }
        }
        String sha = StoreChecks.contentHash(tensors, files, digestCache());
        String id = PREFIX + sha.substring(0, 32);
        StoreLayout.Plan plan = StoreLayout.plan(tensors, maxShardBytes);
        Map<String, Long> fileSizes = new LinkedHashMap<>();
        files.forEach((k, v) -> fileSizes.put(k, (long) v.length));
        StoreRef ref = new StoreRef(id, sha, plan.specs, plan.shardSizes, fileSizes);
        Path dir = directory(ref);
        if (Files.isDirectory(dir)) {
            Path adopted = adopt(ref);
            if (adopted != null) {
                return new Lease(ref, () -> releaseLease(ref, adopted));
            }
        }
        collectStale();
        checkRoom(ref);
        Path tmp = root.resolve(LeaseNames.newTempName(id));
        boolean raced;
        Path lease;
        try {
            Files.createDirectory(tmp, OWNER_ONLY);
            StoreLayout.write(tmp, ref, plan, tensors, files);
            StoreLayout.makeReadOnly(tmp);
            Path[] taken = new Path[1];
            raced =
                    leases.locked(
                            () -> {
                                boolean lost = !commit(tmp, dir);
                                if (!lost) {
                                    LOG.info(
                                            "wrote weight store {} ({} tensors, {} MB)",
                                            dir,
                                            tensors.size(),
                                            ref.tensorBytes() >> 20);
                                }
                                taken[0] = leases.acquire(dir);
                                return lost;
                            });
            lease = taken[0];
        } catch (IOException | UncheckedIOException e) {
            throw failure("write", ref, e);
        } finally {
            discard(tmp);
        }
        if (raced) {
            LOG.debug(
                    "store {} was committed concurrently by another writer; checking and using it",
                    dir);
            try {
                StoreChecks.checkOwnership(dir);
                StoreChecks.verify(dir, ref);
            } catch (RuntimeException e) {
                releaseLease(ref, lease);
                throw e;
            }
        }
        VERIFIED.add(sha);
        return new Lease(ref, () -> releaseLease(ref, lease));
    }

    /**
     * Renames the finished temporary store into place; false if another writer committed the same
     * store first (its store is used instead).
     */
    private static boolean commit(Path tmp, Path dir) throws IOException {
        try {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (IOException e) {
            // rename(2) onto a committed store fails with ENOTEMPTY, which Java reports as a
            // plain FileSystemException.
            if (!Files.isDirectory(dir)) {
                throw e;
            }
            return false;
        }
    }

    /** A lease of this process on a store; the store is removed when its last lease is released. */
    public static final class Lease implements AutoCloseable {
        private final StoreRef ref;
        private final Runnable release;
        private final AtomicBoolean closed = new AtomicBoolean();

        Lease(StoreRef ref, Runnable release) {
            this.ref = ref;
            this.release = release;
        }

        /** The store. */
        public StoreRef ref() {
            return ref;
        }

        /** Releases the lease (once). */
        @Override
        public void close() {
            if (!closed.getAndSet(true)) {
                release.run();
            }
        }
    }

    /**
     * Takes a lease on an existing store after checking it; {@code null} if it had to be replaced.
     */
    private Path adopt(StoreRef ref) {
        Path dir = directory(ref);
        try {
            StoreChecks.checkOwnership(dir);
            StoreChecks.checkFiles(dir, ref);
            if (!VERIFIED.contains(ref.sha256())) {
                StoreChecks.verify(dir, ref);
                VERIFIED.add(ref.sha256());
            }
        } catch (StoreException e) {
            LOG.warn("existing weight store is unusable ({}); replacing it", e.getMessage());
            leases.locked(
                    () -> {
                        quarantine(dir);
                        return null;
                    });
            return null;
        }
        try {
            return leases.locked(() -> leases.acquire(dir));
        } catch (StoreException gone) {
            return null;
        }
    }

    /**
     * Checks {@code ref}'s store on this machine against its content hash, reading every byte.
     *
     * @throws StoreException naming the store if a file is missing, truncated, or the hash differs
     */
    public void verify(StoreRef ref) {
        StoreChecks.verify(directory(ref), ref);
    }

    /**
     * Maps a store for binding: checks ownership, permissions and file sizes (not the content hash,
     * so this stays in milliseconds), maps every shard read-only and takes a lease for this
     * process. A store this process has mapped already is shared (one more user of the same
     * mapping): actors on threads map the weights once, so the process's RSS counts them once.
     */
    public MappedStore open(StoreRef ref) {
        synchronized (mapped) {
            MappedStore open = mapped.get(ref.id());
            if (open != null && open.tryRetain()) {
                return open;
            }
            Path dir = directory(ref);
            StoreChecks.checkFiles(dir, ref);
            StoreChecks.checkOwnership(dir);
            Path lease = leases.locked(() -> leases.acquire(dir));
            MappedStore[] created = new MappedStore[1];
            try {
                created[0] =
                        MappedStore.map(
                                ref,
                                dir,
                                () -> {
                                    mapped.remove(ref.id(), created[0]);
                                    releaseLease(ref, lease);
                                });
            } catch (IOException e) {
                releaseLease(ref, lease);
                throw new StoreException("cannot map weight store " + dir + ": " + e, e);
            }
            mapped.put(ref.id(), created[0]);
            return created[0];
        }
    }

    /**
     * Makes {@code ref}'s store exist on this machine, copying it from {@code source} only if it is
     * missing, and takes a lease on it for this process (so that it cannot be removed before the
     * caller maps it). One writer per store directory: concurrent materializers, in this JVM or in
     * other processes, wait for it and then use its store. The copy is written under a temporary
     * name that records this process as its writer, checked against its content hash, made
     * read-only and renamed into place.
     *
     * @return this process's lease on the store; close it once the store is mapped
     * @throws StoreException if the copy does not match the store's hash, or the store directory
     *     has no room for it
     */
    public Lease materialize(StoreRef ref, StoreSource source) {
        Object jvmLock = MATERIALIZING.computeIfAbsent(root.resolve(ref.id()), k -> new Object());
        Path lockFile = root.resolve(MATERIALIZE_LOCK + ref.id());
        synchronized (jvmLock) {
            try (FileChannel ch =
                            FileChannel.open(
                                    lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = FileLocks.lock(ch)) {
                try {
                    Lease present = leaseIfPresent(ref);
                    return present != null ? present : copy(ref, source);
                } finally {
                    // Whoever waits on this file finds the store committed (or copies it again,
                    // as a newcomer on a new lock file might: one commit wins); nothing is left.
                    deleteQuietly(lockFile);
                }
            } catch (IOException e) {
                throw failure("materialize", ref, e);
            }
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("could not delete {}: {}", file, e.toString());
        }
    }

    /** A lease on {@code ref}'s store if it is committed here, else null. */
    private Lease leaseIfPresent(StoreRef ref) {
        Path dir = directory(ref);
        Path lease =
                leases.locked(() -> Files.isDirectory(dir) ? leases.acquire(dir) : null);
        return lease == null ? null : new Lease(ref, () -> releaseLease(ref, lease));
    }

    /** Copies {@code ref}'s store from {@code source}; returns a lease on the committed copy. */
    private Lease copy(StoreRef ref, StoreSource source) {
        collectStale();
        checkRoom(ref);
        Path dir = directory(ref);
        Path tmp = root.resolve(LeaseNames.newTempName(ref.id()));
        try {
            Files.createDirectory(tmp, OWNER_ONLY);
            for (String name : source.files()) {
                Path target = tmp.resolve(name).normalize();
                if (!target.startsWith(tmp)) {
                    throw new StoreException(
                            "store source names file '" + name + "' outside the store directory");
                }
                Files.createDirectories(target.getParent());
                try (FileChannel ch =
                        FileChannel.open(
                                target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    source.copy(name, ch);
                }
            }
            StoreChecks.verify(tmp, ref);
            StoreLayout.makeReadOnly(tmp);
            Path lease =
                    leases.locked(
                            () -> {
                                if (commit(tmp, dir)) {
                                    LOG.info(
                                            "materialized weight store {} on this machine ({} MB)",
                                            dir,
                                            ref.tensorBytes() >> 20);
                                }
                                return leases.acquire(dir);
                            });
            VERIFIED.add(ref.sha256());
            return new Lease(ref, () -> releaseLease(ref, lease));
        } catch (IOException | UncheckedIOException e) {
            throw failure("materialize", ref, e);
        } finally {
            discard(tmp);
        }
    }

    /** Fails before writing if the store directory has fewer free bytes than the store needs. */
    private void checkRoom(StoreRef ref) {
        long free;
        try {
            free = Files.getFileStore(root).getUsableSpace();
        } catch (IOException e) {
            // Unknown free space: the write itself reports a full directory.
            return;
        }
        if (free < ref.diskBytes()) {
            throw noRoom(ref, free, null);
        }
    }

    private StoreException noRoom(StoreRef ref, long free, Exception cause) {
        String freeText;
        if (free >= 0) {
            freeText = " but only " + readable(free) + " are free there";
        } else {
            freeText = " and it ran out of space while writing";
        }
        return new StoreException(
                "weight store directory "
                        + root
                        + " is too small: store "
                        + ref.id()
                        + " needs "
                        + readable(ref.diskBytes())
                        + " ("
                        + ref.diskBytes()
                        + " bytes)"
                        + freeText
                        + ". Free space there (e.g. 'rzc store gc'), or set RZC_STORE_DIR (or"
                        + " -Drzc.store.dir) to a directory with room",
                cause);
    }

    private static String readable(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format("%.1f GB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format("%.1f MB", bytes / (double) (1L << 20));
        }
        return String.format("%.1f KB", bytes / 1024.0);
    }

    /** The exception for a failed write or materialization: a full directory is named as such. */
    private RuntimeException failure(String what, StoreRef ref, Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null
                    && (m.contains("No space left on device")
                            || m.contains("Disk quota exceeded"))) {
                return noRoom(ref, -1, e);
            }
        }
        if (e instanceof StoreException s) {
            return s;
        }
        return new StoreException(
                "cannot " + what + " weight store " + directory(ref) + ": " + e.getMessage(), e);
    }

    /** The files of {@code ref}'s committed store, relative to its directory. */
    public List<String> storeFiles(StoreRef ref) throws IOException {
        Path dir = directory(ref);
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .map(p -> dir.relativize(p).toString())
                    .sorted()
                    .toList();
        }
    }

    /** The pids of the live processes holding a lease on {@code ref}'s store. */
    List<Long> holders(StoreRef ref) throws IOException {
        return leases.holders(ref.id());
    }

    /** What {@link #list()} reports about one directory under the root. */
    public enum State {
        /** A committed store that live processes use. */
        IN_USE,
        /** A committed store no live process uses ({@link #gc()} removes it). */
        UNUSED,
        /** A store being written (or copied here) by a live process. */
        WRITING,
        /** A store whose writer died mid-write ({@link #gc()} removes it). */
        ABANDONED
    }

    /** A store, or a store being written, on this machine, as listed by {@link #list()}. */
    public static final class Info {
        private final Path directory;
        private final long bytes;
        private final int liveLeases;
        private final Instant created;
        private final Instant lastUse;
        private final State state;
        private final long writerPid;

        Info(
                Path directory,
                long bytes,
                int liveLeases,
                Instant created,
                Instant lastUse,
                State state,
                long writerPid) {
            this.directory = directory;
            this.bytes = bytes;
            this.liveLeases = liveLeases;
            this.created = created;
            this.lastUse = lastUse;
            this.state = state;
            this.writerPid = writerPid;
        }

        /** The directory. */
        public Path directory() {
            return directory;
        }

        /** Bytes on disk (shards and files). */
        public long bytes() {
            return bytes;
        }

        /** Leases held by live processes (0 for a store being written). */
        public int liveLeases() {
            return liveLeases;
        }

        /** When the store was committed, or its writing started. */
        public Instant created() {
            return created;
        }

        /** When a process last took or released a lease on it ({@link #created()} if none did). */
        public Instant lastUse() {
            return lastUse;
        }

        /** Whether it is a committed store, in use or not, or one being written or abandoned. */
        public State state() {
            return state;
        }

        /** The pid of the process writing it, or -1 for a committed store. */
        public long writerPid() {
            return writerPid;
        }
    }

    /**
     * Lists the committed stores under the root, then the stores being written or left by writers
     * that died. Changes nothing: leases of dead processes are not counted, but only {@link #gc()}
     * removes them.
     */
    public List<Info> list() {
        List<Info> out = new ArrayList<>();
        try {
            for (Path dir : entries(PREFIX)) {
                int live = leases.live(dir.getFileName().toString()).size();
                info(dir, live, live > 0 ? State.IN_USE : State.UNUSED, -1).ifPresent(out::add);
            }
            for (Path tmp : entries(".tmp-")) {
                String holder = LeaseNames.tempHolder(tmp.getFileName().toString());
                State state = LeaseNames.isAlive(holder) ? State.WRITING : State.ABANDONED;
                info(tmp, 0, state, LeaseNames.pid(holder)).ifPresent(out::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot list weight store directory " + root + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The entry's figures; empty if it vanished while being read (committed or removed). */
    private Optional<Info> info(Path dir, int live, State state, long writer)
            throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            long bytes = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            Instant created = Files.getLastModifiedTime(dir).toInstant();
            Instant lastUse = leases.lastChange(dir.getFileName().toString()).orElse(created);
            return Optional.of(
                    new Info(
                            dir,
                            bytes,
                            live,
                            created,
                            lastUse.isAfter(created) ? lastUse : created,
                            state,
                            writer));
        } catch (NoSuchFileException | UncheckedIOException vanished) {
            return Optional.empty();
        }
    }

    /**
     * Removes leases of dead processes, then every store no live process holds a lease on, and
     * every temporary store whose writer is dead.
     *
     * @return the directories removed
     */
    public List<Path> gc() {
        return leases.locked(
                () -> {
                    List<Path> removed = new ArrayList<>();
                    for (Path dir : entries(PREFIX)) {
                        String id = dir.getFileName().toString();
                        leases.collectDead(id);
                        if (leases.live(id).isEmpty()) {
                            quarantine(dir);
                            removed.add(dir);
                        }
                    }
                    for (Path tmp : entries(".tmp-")) {
                        String holder = LeaseNames.tempHolder(tmp.getFileName().toString());
                        if (!LeaseNames.isAlive(holder)) {
                            LOG.info("collecting {}: the process that was writing it is gone", tmp);
                            discard(tmp);
                            removed.add(tmp);
                        }
                    }
                    for (Path trash : entries(TRASH_PREFIX)) {
                        discard(trash);
                    }
                    removeIdleMaterializeLocks();
                    return removed;
                });
    }

    /** Before writing a new store: stores left by processes that died are removed (best effort). */
    private void collectStale() {
        try {
            for (Path removed : gc()) {
                LOG.info("collected {}: every process that used it is gone", removed);
            }
        } catch (RuntimeException e) {
            LOG.warn("could not collect stale weight stores under {}: {}", root, e.toString());
        }
    }

    /**
     * Deletes the lock files of materializations no process runs (left by a writer killed while it
     * held one). A waiter may then lock a deleted file while a newcomer locks a new one; both then
     * copy and one commit wins, as without a lock.
     */
    private void removeIdleMaterializeLocks() throws IOException {
        List<Path> locks;
        try (Stream<Path> s = Files.list(root)) {
            locks = s.filter(p -> p.getFileName().toString().startsWith(MATERIALIZE_LOCK)).toList();
        }
        for (Path lock : locks) {
            try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.WRITE);
                    FileLock held = ch.tryLock()) {
                if (held != null) {
                    Files.deleteIfExists(lock);
                }
            } catch (OverlappingFileLockException | IOException busy) {
                // This JVM materializes that store now, or the file went away.
            }
        }
    }

    private List<Path> entries(String prefix) throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix))
                    .filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .sorted()
                    .toList();
        }
    }

    private void releaseLease(StoreRef ref, Path lease) {
        leases.locked(
                () -> {
                    leases.release(lease);
                    if (leases.live(ref.id()).isEmpty() && quarantine(directory(ref))) {
                        LOG.info(
                                "removed weight store {}: its last user released it",
                                directory(ref));
                    }
                    return null;
                });
    }

    /** At exit: this process's leases are released, and stores nobody else uses are removed. */
    private void releaseAllLeases() {
        for (Path lease : leases.mine()) {
            try {
                leases.locked(
                        () -> {
                            leases.release(lease);
                            String id = Leases.storeOf(lease);
                            if (leases.live(id).isEmpty()) {
                                quarantine(root.resolve(id));
                            }
                            return null;
                        });
            } catch (RuntimeException e) {
                // Best effort at exit: gc collects what remains.
            }
        }
    }

    /**
     * Renames a store away (atomically: no one can adopt a half-deleted store), then deletes it and
     * its leases. Hold the lock.
     *
     * @return whether there was a store to remove
     */
    private boolean quarantine(Path dir) throws IOException {
        boolean existed = Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
        if (existed) {
            Path trash = root.resolve(TRASH_PREFIX + dir.getFileName() + "-" + UUID.randomUUID());
            Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
            discard(trash);
        }
        leases.forget(dir.getFileName().toString());
        return existed;
    }

    /** Deletes a (possibly read-only) store tree; a failure is logged, gc retries later. */
    static void discard(Path dir) {
        try {
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                StoreLayout.makeDeletable(dir);
            }
            FileTrees.deleteTree(dir);
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("could not delete {}: {}", dir, e.toString());
        }
    }

    private void ensureRoot() {
        try {
            if (!Files.isDirectory(root)) {
                Files.createDirectories(root.getParent());
                try {
                    Files.createDirectory(root, OWNER_ONLY);
                } catch (FileAlreadyExistsException raced) {
                    // another process created it; ownership is checked below
                }
            }
            StoreChecks.checkStoreDirectory(root);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create weight store directory "
                            + root
                            + " (set RZC_STORE_DIR or -Drzc.store.dir to a writable directory): "
                            + e,
                    e);
        }
    }
}
