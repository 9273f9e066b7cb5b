package io.rayzerocopy.internal.model;

import ai.djl.ndarray.types.DataType;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import io.rayzerocopy.StoreException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * The node-local directory of weight stores. A store is a directory named by the content hash of
 * the weights it holds: shards in safetensors layout (every tensor 64-byte aligned, each shard
 * under 2 GiB), extra files such as TorchScript skeletons, and a manifest. A store is written once
 * per machine under a temporary name and renamed into place, then made read-only; every actor maps
 * it.
 *
 * <p>Users of a store hold leases (one small file per process and use); when the last lease is
 * released the store is removed, and leases of dead processes are collected. The root directory
 * defaults to {@code /dev/shm/ray-zerocopy-<user>} (tmpfs) where present, else the temp directory;
 * set {@code -Drzc.store.dir} or {@code RZC_STORE_DIR} to choose another.
 */
public final class WeightStore {
    /** A tensor to write: name, type, shape and its bytes (little-endian, contiguous). */
    public static final class Tensor {
        private final String name;
        private final DataType dataType;
        private final long[] shape;
        private final ByteBuffer data;

        /** Creates a tensor to write; {@code data} is read from its position to its limit. */
        public Tensor(String name, DataType dataType, long[] shape, ByteBuffer data) {
            this.name = Objects.requireNonNull(name, "name");
            this.dataType = Objects.requireNonNull(dataType, "dataType");
            this.shape = shape.clone();
            this.data = data.duplicate();
            long numel = 1;
            for (long d : shape) {
                numel *= d;
            }
            if (numel * dataType.getNumOfBytes() != this.data.remaining()) {
                throw new IllegalArgumentException(
                        "tensor '"
                                + name
                                + "': "
                                + this.data.remaining()
                                + " bytes given for shape "
                                + java.util.Arrays.toString(shape)
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
            return java.util.Arrays.toString(shape);
        }

        /** Size in bytes. */
        public long byteSize() {
            return data.remaining();
        }

        /** A view of the bytes. */
        ByteBuffer data() {
            return data.duplicate();
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(WeightStore.class);
    static final int ALIGN = 64;
    private static final long DEFAULT_MAX_SHARD = Integer.MAX_VALUE - (64L << 20);
    private static final String MANIFEST = "manifest.json";
    private static final String FILES_DIR = "files";
    private static final String LEASES_DIR = "leases";
    private static final String PREFIX = "rzc-";
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    private static final ReentrantLock JVM_LOCK = new ReentrantLock();
    private static final Set<String> VERIFIED = ConcurrentHashMap.newKeySet();
    private static final Map<Path, WeightStore> OPEN = new ConcurrentHashMap<>();

    private final Path root;
    private final long maxShardBytes;
    private final Set<Path> myLeases = ConcurrentHashMap.newKeySet();

    private WeightStore(Path root, long maxShardBytes) {
        this.root = root;
        this.maxShardBytes = maxShardBytes;
    }

    /** The store directory of this machine (see the class comment for how it is chosen). */
    public static WeightStore local() {
        return at(defaultRoot());
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
     * The default root: {@code -Drzc.store.dir}, {@code RZC_STORE_DIR}, /dev/shm, or the temp dir.
     */
    public static Path defaultRoot() {
        String configured = System.getProperty("rzc.store.dir", System.getenv("RZC_STORE_DIR"));
        if (configured != null && !configured.isBlank()) {
            return Paths.get(configured);
        }
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
        Path shm = Paths.get("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return shm.resolve("ray-zerocopy-" + user);
        }
        return Paths.get(System.getProperty("java.io.tmpdir"), "ray-zerocopy-" + user);
    }

    /** The root directory. */
    public Path root() {
        return root;
    }

    /**
     * Writes the tensors and files as a store, or adopts the identical store already on this
     * machine (checking its content against its hash the first time this process adopts it), and
     * takes a lease on it for this process.
     *
     * @param tensors the tensors, in the order they should be laid out
     * @param files extra files by name (e.g. a TorchScript skeleton)
     * @return this process's lease on the committed store; close it to release the store
     */
    public Lease write(List<Tensor> tensors, Map<String, byte[]> files) {
        Set<String> names = new HashSet<>();
        for (Tensor t : tensors) {
            if (!names.add(t.name)) {
                throw new IllegalArgumentException(
                        "two tensors are named '" + t.name + "': tensor names must be unique");
            }
        }
        String sha = contentHash(tensors, files);
        String id = PREFIX + sha.substring(0, 32);
        Layout layout = layout(tensors);
        Map<String, Long> fileSizes = new LinkedHashMap<>();
        files.forEach((k, v) -> fileSizes.put(k, (long) v.length));
        StoreRef ref = new StoreRef(root, id, sha, layout.specs, layout.shardSizes, fileSizes);
        Path dir = ref.directory();
        if (Files.isDirectory(dir)) {
            Path adopted = adopt(ref);
            if (adopted != null) {
                return new Lease(ref, () -> releaseLease(ref, adopted));
            }
        }
        collectStale();
        Path tmp = root.resolve(".tmp-" + id + "-" + UUID.randomUUID());
        boolean raced;
        Path lease;
        try {
            writeStore(tmp, ref, tensors, files, layout);
            Path[] taken = new Path[1];
            raced =
                    withLock(
                            () -> {
                                boolean lost = false;
                                try {
                                    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                                    LOG.info(
                                            "wrote weight store {} ({} tensors, {} MB)",
                                            dir,
                                            tensors.size(),
                                            ref.tensorBytes() >> 20);
                                } catch (IOException e) {
                                    // rename(2) onto a committed store fails with ENOTEMPTY, which
                                    // Java reports as a
                                    // plain FileSystemException: another writer won, and its store
                                    // is used instead.
                                    if (!Files.isDirectory(dir)) {
                                        throw e;
                                    }
                                    lost = true;
                                }
                                taken[0] = acquireLeaseLocked(ref);
                                return lost;
                            });
            lease = taken[0];
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot write weight store " + dir + ": " + e.getMessage(), e);
        } finally {
            deleteTree(tmp);
        }
        if (raced) {
            LOG.debug(
                    "store {} was committed concurrently by another writer; checking and using it",
                    dir);
            try {
                checkOwnership(dir);
                verify(ref);
            } catch (RuntimeException e) {
                releaseLease(ref, lease);
                throw e;
            }
        }
        VERIFIED.add(sha);
        return new Lease(ref, () -> releaseLease(ref, lease));
    }

    /** A lease of this process on a store; the store is removed when its last lease is released. */
    public static final class Lease implements AutoCloseable {
        private final StoreRef ref;
        private final Runnable release;
        private final java.util.concurrent.atomic.AtomicBoolean closed =
                new java.util.concurrent.atomic.AtomicBoolean();

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
        Path dir = ref.directory();
        try {
            checkOwnership(dir);
            checkFiles(ref);
            if (!VERIFIED.contains(ref.sha256())) {
                verify(ref);
                VERIFIED.add(ref.sha256());
            }
        } catch (StoreException e) {
            LOG.warn("existing weight store is unusable ({}); replacing it", e.getMessage());
            withLock(
                    () -> {
                        quarantine(dir);
                        return null;
                    });
            return null;
        }
        try {
            return withLock(() -> acquireLeaseLocked(ref));
        } catch (StoreException gone) {
            return null;
        }
    }

    /**
     * Checks a store's files against its content hash, reading every byte.
     *
     * @throws StoreException naming the store if a file is missing, truncated, or the hash differs
     */
    public static void verify(StoreRef ref) {
        Path dir = ref.directory();
        try {
            MessageDigest md = sha256();
            checkFiles(ref);
            for (TensorSpec t : ref.tensors()) {
                Path shard = shardPath(dir, t.shard());
                try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.READ)) {
                    updateTensorHeader(md, t.name(), t.dtype(), t.dims());
                    ByteBuffer buf = ByteBuffer.allocate(1 << 20);
                    long pos = t.offset();
                    long end = t.offset() + t.byteSize();
                    while (pos < end) {
                        buf.clear();
                        buf.limit((int) Math.min(buf.capacity(), end - pos));
                        int n = ch.read(buf, pos);
                        if (n < 0) {
                            throw new StoreException(
                                    "weight store file "
                                            + shard
                                            + " is truncated: tensor '"
                                            + t.name()
                                            + "' ends at byte "
                                            + end
                                            + "; delete the store directory "
                                            + dir
                                            + " and re-create the wrapper");
                        }
                        buf.flip();
                        md.update(buf);
                        pos += n;
                    }
                }
            }
            for (String name : ref.files().keySet()) {
                updateFile(md, name, Files.readAllBytes(dir.resolve(FILES_DIR).resolve(name)));
            }
            String actual = HexFormat.of().formatHex(md.digest());
            if (!actual.equals(ref.sha256())) {
                throw new StoreException(
                        "weight store "
                                + dir
                                + " is corrupted: content hash "
                                + actual
                                + " does not match its name ("
                                + ref.sha256()
                                + "); delete the directory and re-create the wrapper");
            }
        } catch (NoSuchFileException e) {
            throw new StoreException(
                    "weight store "
                            + dir
                            + " is missing file "
                            + e.getFile()
                            + "; it was deleted or never completed: re-create the wrapper with"
                            + " ModelWrapper.fromModel",
                    e);
        } catch (IOException e) {
            throw new StoreException("cannot read weight store " + dir + ": " + e, e);
        }
    }

    /** Checks that every shard and file of the store exists with the size the reference expects. */
    static void checkFiles(StoreRef ref) {
        Path dir = ref.directory();
        if (!Files.isDirectory(dir)) {
            throw new StoreException(
                    "weight store "
                            + dir
                            + " does not exist: it was deleted (by 'rzc store gc', a reboot"
                            + " clearing /dev/shm, or by hand) while a wrapper still referred to"
                            + " it; re-create the wrapper with ModelWrapper.fromModel");
        }
        List<Long> sizes = ref.shardSizes();
        for (int i = 0; i < sizes.size(); i++) {
            checkSize(shardPath(dir, i), sizes.get(i), dir);
        }
        for (Map.Entry<String, Long> f : ref.files().entrySet()) {
            checkSize(dir.resolve(FILES_DIR).resolve(f.getKey()), f.getValue(), dir);
        }
    }

    private static void checkSize(Path file, long expected, Path dir) {
        long actual;
        try {
            actual = Files.size(file);
        } catch (IOException e) {
            throw new StoreException(
                    "weight store file "
                            + file
                            + " is missing; delete "
                            + dir
                            + " and re-create the wrapper",
                    e);
        }
        if (actual != expected) {
            throw new StoreException(
                    "weight store file "
                            + file
                            + " has "
                            + actual
                            + " bytes, expected "
                            + expected
                            + ": it is truncated or was replaced; delete "
                            + dir
                            + " and re-create the wrapper");
        }
    }

    /**
     * Refuses a store that another user owns or that anyone but its owner could write: every actor
     * on the machine executes whatever weights the store holds.
     */
    static void checkOwnership(Path dir) {
        String me = System.getProperty("user.name");
        checkOwnedReadOnly(dir.getParent(), me, true);
        checkOwnedReadOnly(dir, me, false);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                checkOwnedReadOnly(p, me, false);
            }
        } catch (IOException e) {
            throw new StoreException("cannot inspect weight store " + dir + ": " + e, e);
        }
    }

    private static void checkOwnedReadOnly(Path p, String me, boolean ownerMayWrite) {
        PosixFileAttributes attrs;
        try {
            attrs =
                    Files.getFileAttributeView(
                                    p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .readAttributes();
        } catch (IOException e) {
            throw new StoreException(
                    "cannot read the permissions of weight store path " + p + ": " + e, e);
        }
        if (attrs.isSymbolicLink()) {
            throw new StoreException(
                    "weight store path "
                            + p
                            + " is a symbolic link; refusing to load weights through it");
        }
        String owner = attrs.owner().getName();
        if (!owner.equals(me)) {
            throw new StoreException(
                    "weight store path "
                            + p
                            + " is owned by '"
                            + owner
                            + "', not by '"
                            + me
                            + "'; refusing to load weights another user controls (choose another"
                            + " -Drzc.store.dir)");
        }
        Set<PosixFilePermission> perms = attrs.permissions();
        if (perms.contains(PosixFilePermission.GROUP_WRITE)
                || perms.contains(PosixFilePermission.OTHERS_WRITE)
                || (!ownerMayWrite && perms.contains(PosixFilePermission.OWNER_WRITE))) {
            throw new StoreException(
                    "weight store path "
                            + p
                            + " has permissions "
                            + PosixFilePermissions.toString(perms)
                            + "; a committed store must be read-only and owner-only. Delete it and"
                            + " re-create the wrapper");
        }
    }

    /**
     * Maps a store for binding: checks ownership, permissions and file sizes (not the content hash,
     * so this stays in milliseconds), maps every shard read-only and takes a lease for this
     * process.
     */
    public MappedStore open(StoreRef ref) {
        checkFiles(ref);
        checkOwnership(ref.directory());
        Path lease = withLock(() -> acquireLeaseLocked(ref));
        try {
            return new MappedStore(ref, mapShards(ref), () -> releaseLease(ref, lease));
        } catch (IOException e) {
            releaseLease(ref, lease);
            throw new StoreException("cannot map weight store " + ref.directory() + ": " + e, e);
        }
    }

    private static List<ByteBuffer> mapShards(StoreRef ref) throws IOException {
        List<ByteBuffer> maps = new ArrayList<>();
        for (int i = 0; i < ref.shardSizes().size(); i++) {
            try (FileChannel ch =
                    FileChannel.open(shardPath(ref.directory(), i), StandardOpenOption.READ)) {
                maps.add(
                        ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size())
                                .order(ByteOrder.LITTLE_ENDIAN));
            }
        }
        return maps;
    }

    /** The path of an extra file of the store (e.g. a TorchScript skeleton). */
    public static Path file(StoreRef ref, String name) {
        if (!ref.files().containsKey(name)) {
            throw new IllegalArgumentException(
                    "weight store " + ref.directory() + " has no file '" + name + "'");
        }
        return ref.directory().resolve(FILES_DIR).resolve(name);
    }

    /**
     * Makes {@code ref}'s store exist on this machine, copying it from {@code source} if it is
     * missing: written under a temporary name, checked against its content hash, made read-only and
     * renamed into place, so concurrent materializers on one machine end with one store.
     *
     * @throws StoreException if the copy does not match the store's hash
     */
    public void materialize(StoreRef ref, StoreSource source) {
        Path dir = ref.directory();
        if (Files.isDirectory(dir)) {
            return;
        }
        String tmpId = ".tmp-" + ref.id() + "-" + UUID.randomUUID();
        Path tmp = root.resolve(tmpId);
        try {
            Files.createDirectory(
                    tmp,
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
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
            verify(
                    new StoreRef(
                            root,
                            tmpId,
                            ref.sha256(),
                            ref.tensors(),
                            ref.shardSizes(),
                            ref.files()));
            makeReadOnly(tmp);
            withLock(
                    () -> {
                        try {
                            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                            LOG.info(
                                    "materialized weight store {} on this machine ({} MB)",
                                    dir,
                                    ref.tensorBytes() >> 20);
                        } catch (IOException e) {
                            if (!Files.isDirectory(dir)) {
                                throw e;
                            }
                        }
                        return null;
                    });
        } catch (IOException e) {
            throw new StoreException(
                    "cannot materialize weight store "
                            + dir
                            + " on this machine: "
                            + e.getMessage(),
                    e);
        } finally {
            deleteTree(tmp);
        }
    }

    /** The files of a committed store, relative to its directory. */
    public static List<String> storeFiles(StoreRef ref) throws IOException {
        Path dir = ref.directory();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .map(p -> dir.relativize(p).toString())
                    .sorted()
                    .toList();
        }
    }

    /** A store on this machine, as listed by {@link #list()}. */
    public static final class Info {
        private final Path directory;
        private final long bytes;
        private final int liveLeases;
        private final Instant created;

        Info(Path directory, long bytes, int liveLeases, Instant created) {
            this.directory = directory;
            this.bytes = bytes;
            this.liveLeases = liveLeases;
            this.created = created;
        }

        /** The store directory. */
        public Path directory() {
            return directory;
        }

        /** Bytes on disk (shards and files). */
        public long bytes() {
            return bytes;
        }

        /** Leases held by live processes. */
        public int liveLeases() {
            return liveLeases;
        }

        /** When the store was committed. */
        public Instant created() {
            return created;
        }
    }

    /** Lists the committed stores under the root. */
    public List<Info> list() {
        return withLock(
                () -> {
                    List<Info> out = new ArrayList<>();
                    for (Path dir : storeDirs()) {
                        long bytes;
                        try (Stream<Path> s = Files.walk(dir)) {
                            bytes =
                                    s.filter(Files::isRegularFile)
                                            .mapToLong(p -> p.toFile().length())
                                            .sum();
                        }
                        out.add(
                                new Info(
                                        dir,
                                        bytes,
                                        liveLeases(dir.getFileName().toString()).size(),
                                        Files.getLastModifiedTime(dir).toInstant()));
                    }
                    return out;
                });
    }

    /**
     * Removes leases of dead processes, then every store no live process holds a lease on.
     *
     * @return the directories removed
     */
    public List<Path> gc() {
        return withLock(
                () -> {
                    List<Path> removed = new ArrayList<>();
                    for (Path dir : storeDirs()) {
                        if (liveLeases(dir.getFileName().toString()).isEmpty()) {
                            quarantine(dir);
                            removed.add(dir);
                        }
                    }
                    try (Stream<Path> s = Files.list(root)) {
                        for (Path p : (Iterable<Path>) s::iterator) {
                            String n = p.getFileName().toString();
                            if (n.startsWith(".trash-") || (n.startsWith(".tmp-") && isStale(p))) {
                                deleteTree(p);
                            }
                        }
                    }
                    return removed;
                });
    }

    /** Before writing a new store: stores left by processes that died are removed (best effort). */
    private void collectStale() {
        try {
            for (Path removed : gc()) {
                LOG.info("collected weight store {}: every process that used it is gone", removed);
            }
        } catch (RuntimeException e) {
            LOG.warn("could not collect stale weight stores under {}: {}", root, e.toString());
        }
    }

    private boolean isStale(Path tmp) throws IOException {
        return Files.getLastModifiedTime(tmp)
                .toInstant()
                .isBefore(Instant.now().minusSeconds(3600));
    }

    private List<Path> storeDirs() throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isDirectory(p))
                    .sorted(Comparator.naturalOrder())
                    .forEach(dirs::add);
        }
        return dirs;
    }

    /** Live leases of a store; removes the lease files of processes that are gone. */
    private List<Path> liveLeases(String id) throws IOException {
        Path dir = root.resolve(LEASES_DIR).resolve(id);
        List<Path> live = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return live;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path lease : (Iterable<Path>) s::iterator) {
                if (LeaseNames.isAlive(lease.getFileName().toString())) {
                    live.add(lease);
                } else {
                    LOG.info("collecting lease {} of a process that is gone", lease);
                    Files.deleteIfExists(lease);
                }
            }
        }
        return live;
    }

    private Path acquireLeaseLocked(StoreRef ref) throws IOException {
        if (!Files.isDirectory(ref.directory())) {
            throw new StoreException(
                    "weight store "
                            + ref.directory()
                            + " does not exist: it was deleted while a wrapper still referred to"
                            + " it; re-create the wrapper with ModelWrapper.fromModel");
        }
        Path dir = root.resolve(LEASES_DIR).resolve(ref.id());
        Files.createDirectories(dir);
        Path lease = Files.createFile(dir.resolve(LeaseNames.newName()));
        myLeases.add(lease);
        return lease;
    }

    private void releaseLease(StoreRef ref, Path lease) {
        withLock(
                () -> {
                    myLeases.remove(lease);
                    Files.deleteIfExists(lease);
                    if (liveLeases(ref.id()).isEmpty()) {
                        quarantine(ref.directory());
                        LOG.info(
                                "removed weight store {}: its last user released it",
                                ref.directory());
                    }
                    return null;
                });
    }

    private void releaseAllLeases() {
        for (Path lease : List.copyOf(myLeases)) {
            try {
                Files.deleteIfExists(lease);
                Path leaseDir = lease.getParent();
                myLeases.remove(lease);
                try (Stream<Path> s = Files.list(leaseDir)) {
                    if (s.findAny().isEmpty()) {
                        quarantine(root.resolve(leaseDir.getFileName().toString()));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // Best effort at exit: gc collects what remains.
            }
        }
    }

    /**
     * Renames a store away (atomically: no one can adopt a half-deleted store), then deletes it.
     */
    private void quarantine(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Path trash = root.resolve(".trash-" + dir.getFileName() + "-" + UUID.randomUUID());
        Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(trash);
        deleteTree(root.resolve(LEASES_DIR).resolve(dir.getFileName().toString()));
    }

    private interface LockedAction<T> {
        T run() throws IOException;
    }

    private <T> T withLock(LockedAction<T> action) {
        JVM_LOCK.lock();
        try (FileChannel ch =
                        FileChannel.open(
                                root.resolve(".lock"),
                                StandardOpenOption.CREATE,
                                StandardOpenOption.WRITE);
                FileLock ignored = ch.lock()) {
            return action.run();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "weight store directory " + root + ": " + e.getMessage(), e);
        } finally {
            JVM_LOCK.unlock();
        }
    }

    private void ensureRoot() {
        try {
            if (!Files.isDirectory(root)) {
                Files.createDirectories(root.getParent());
                try {
                    Files.createDirectory(
                            root,
                            PosixFilePermissions.asFileAttribute(
                                    PosixFilePermissions.fromString("rwx------")));
                } catch (FileAlreadyExistsException raced) {
                    // another process created it; ownership is checked below
                }
            }
            checkOwnedReadOnly(root, System.getProperty("user.name"), true);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create weight store directory "
                            + root
                            + " (set -Drzc.store.dir to a writable directory): "
                            + e.getMessage(),
                    e);
        }
    }

    // ---- writing ----

    private static final class Layout {
        final List<TensorSpec> specs = new ArrayList<>();
        final List<Long> shardSizes = new ArrayList<>();
        final List<byte[]> headers = new ArrayList<>();
        final List<Integer> firstTensor = new ArrayList<>();
    }

    private Layout layout(List<Tensor> tensors) {
        Layout layout = new Layout();
        List<List<Tensor>> shards = new ArrayList<>();
        List<Tensor> current = new ArrayList<>();
        long currentBytes = 0;
        for (Tensor t : tensors) {
            long size = align(t.data.remaining());
            if (size > maxShardBytes) {
                throw new IllegalArgumentException(
                        "tensor '"
                                + t.name
                                + "' has "
                                + t.data.remaining()
                                + " bytes; tensors over "
                                + maxShardBytes
                                + " bytes (one mapping) are not supported");
            }
            if (!current.isEmpty() && currentBytes + size > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(t);
            currentBytes += size;
        }
        shards.add(current);
        int index = 0;
        for (int s = 0; s < shards.size(); s++) {
            JsonObject header = new JsonObject();
            JsonObject meta = new JsonObject();
            meta.addProperty("format", "ray-zerocopy");
            meta.addProperty("shard", Integer.toString(s));
            header.add("__metadata__", meta);
            long offset = 0;
            List<long[]> ranges = new ArrayList<>();
            for (Tensor t : shards.get(s)) {
                JsonObject entry = new JsonObject();
                entry.addProperty("dtype", SafeTensors.toCode(t.dataType));
                JsonArray shape = new JsonArray();
                for (long d : t.shape) {
                    shape.add(d);
                }
                entry.add("shape", shape);
                JsonArray offs = new JsonArray();
                offs.add(offset);
                offs.add(offset + t.data.remaining());
                entry.add("data_offsets", offs);
                header.add(t.name, entry);
                ranges.add(new long[] {offset, t.data.remaining()});
                offset = align(offset + t.data.remaining());
            }
            byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
            int padded = (int) (align(8 + json.length) - 8);
            byte[] headerBytes = new byte[padded];
            java.util.Arrays.fill(headerBytes, (byte) ' ');
            System.arraycopy(json, 0, headerBytes, 0, json.length);
            layout.headers.add(headerBytes);
            layout.firstTensor.add(index);
            long dataStart = 8 + padded;
            long end = dataStart;
            for (int i = 0; i < shards.get(s).size(); i++) {
                Tensor t = shards.get(s).get(i);
                long[] r = ranges.get(i);
                layout.specs.add(
                        new TensorSpec(
                                t.name,
                                SafeTensors.toCode(t.dataType),
                                t.shape,
                                s,
                                dataStart + r[0],
                                r[1]));
                end = dataStart + r[0] + r[1];
                index++;
            }
            layout.shardSizes.add(end);
        }
        return layout;
    }

    static long align(long n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    private void writeStore(
            Path tmp, StoreRef ref, List<Tensor> tensors, Map<String, byte[]> files, Layout layout)
            throws IOException {
        Files.createDirectory(
                tmp,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        for (int s = 0; s < layout.shardSizes.size(); s++) {
            Path shard = shardPath(tmp, s);
            try (FileChannel ch =
                    FileChannel.open(
                            shard, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                byte[] header = layout.headers.get(s);
                ByteBuffer len =
                        ByteBuffer.allocate(8)
                                .order(ByteOrder.LITTLE_ENDIAN)
                                .putLong(header.length);
                len.flip();
                writeFully(ch, len, 0);
                writeFully(ch, ByteBuffer.wrap(header), 8);
                for (int i = 0; i < tensors.size(); i++) {
                    TensorSpec spec = layout.specs.get(i);
                    if (spec.shard() == s) {
                        writeFully(ch, tensors.get(i).data.duplicate(), spec.offset());
                    }
                }
            }
        }
        if (!files.isEmpty()) {
            Path filesDir = Files.createDirectory(tmp.resolve(FILES_DIR));
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                Files.write(
                        filesDir.resolve(f.getKey()), f.getValue(), StandardOpenOption.CREATE_NEW);
            }
        }
        Files.writeString(tmp.resolve(MANIFEST), manifest(ref), StandardOpenOption.CREATE_NEW);
        makeReadOnly(tmp);
    }

    private static String manifest(StoreRef ref) {
        JsonObject m = new JsonObject();
        m.addProperty("format", "ray-zerocopy-store/1");
        m.addProperty("sha256", ref.sha256());
        m.addProperty("shards", ref.shardSizes().size());
        JsonArray tensors = new JsonArray();
        for (TensorSpec t : ref.tensors()) {
            JsonObject o = new JsonObject();
            o.addProperty("name", t.name());
            o.addProperty("dtype", t.dtype());
            o.add("shape", GSON.toJsonTree(t.dims()));
            o.addProperty("shard", t.shard());
            o.addProperty("offset", t.offset());
            o.addProperty("bytes", t.byteSize());
            tensors.add(o);
        }
        m.add("tensors", tensors);
        m.add("files", GSON.toJsonTree(ref.files()));
        return GSON.toJson(m);
    }

    /**
     * The directory a store of these tensors and files would have under this root (whether or not
     * it exists), computed without writing anything.
     */
    public Path directoryFor(List<Tensor> tensors, Map<String, byte[]> files) {
        return root.resolve(PREFIX + contentHash(tensors, files).substring(0, 32));
    }

    /**
     * The reference to the committed store {@code id} under this root, read from its manifest.
     *
     * @throws StoreException if there is no such store here
     */
    public StoreRef ref(String id) {
        Path dir = root.resolve(id);
        try {
            return readManifest(dir);
        } catch (IOException e) {
            throw new StoreException("weight store " + dir + " cannot be read: " + e, e);
        }
    }

    /** The directory of {@code ref}'s store on this machine. */
    public Path directory(StoreRef ref) {
        return root.resolve(ref.id());
    }

    /** Reads a committed store's manifest back into a reference (for tools listing stores). */
    public StoreRef readManifest(Path dir) throws IOException {
        JsonObject m =
                JsonParser.parseString(Files.readString(dir.resolve(MANIFEST))).getAsJsonObject();
        List<TensorSpec> specs = new ArrayList<>();
        List<Long> shardSizes = new ArrayList<>();
        for (var e : m.getAsJsonArray("tensors")) {
            JsonObject o = e.getAsJsonObject();
            specs.add(
                    new TensorSpec(
                            o.get("name").getAsString(),
                            o.get("dtype").getAsString(),
                            GSON.fromJson(o.get("shape"), long[].class),
                            o.get("shard").getAsInt(),
                            o.get("offset").getAsLong(),
                            o.get("bytes").getAsLong()));
        }
        for (int i = 0; i < m.get("shards").getAsInt(); i++) {
            shardSizes.add(Files.size(shardPath(dir, i)));
        }
        Map<String, Long> files = new LinkedHashMap<>();
        m.getAsJsonObject("files")
                .entrySet()
                .forEach(e -> files.put(e.getKey(), e.getValue().getAsLong()));
        return new StoreRef(
                dir.getParent(),
                dir.getFileName().toString(),
                m.get("sha256").getAsString(),
                specs,
                shardSizes,
                files);
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf, long position)
            throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            pos += ch.write(buf, pos);
        }
    }

    private static void makeReadOnly(Path dir) throws IOException {
        Set<PosixFilePermission> file = PosixFilePermissions.fromString("r--------");
        Set<PosixFilePermission> directory = PosixFilePermissions.fromString("r-x------");
        List<Path> all;
        try (Stream<Path> s = Files.walk(dir)) {
            all = s.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : all) {
            Files.setPosixFilePermissions(p, Files.isDirectory(p) ? directory : file);
        }
    }

    static Path shardPath(Path dir, int shard) {
        return dir.resolve(String.format("shard-%05d.safetensors", shard));
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> all = s.sorted(Comparator.reverseOrder()).toList();
            for (Path p : all) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
                }
            }
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.toString());
        }
    }

    // ---- hashing ----

    private static String contentHash(List<Tensor> tensors, Map<String, byte[]> files) {
        MessageDigest md = sha256();
        for (Tensor t : tensors) {
            updateTensorHeader(md, t.name, SafeTensors.toCode(t.dataType), t.shape);
            md.update(t.data.duplicate());
        }
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            updateFile(md, f.getKey(), f.getValue());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void updateTensorHeader(
            MessageDigest md, String name, String dtype, long[] shape) {
        md.update(
                ("tensor\0" + name + "\0" + dtype + "\0" + java.util.Arrays.toString(shape) + "\0")
                        .getBytes(StandardCharsets.UTF_8));
    }

    private static void updateFile(MessageDigest md, String name, byte[] bytes) {
        md.update(("file\0" + name + "\0" + bytes.length + "\0").getBytes(StandardCharsets.UTF_8));
        md.update(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
