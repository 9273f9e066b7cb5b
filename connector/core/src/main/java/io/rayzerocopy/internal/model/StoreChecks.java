package io.rayzerocopy.internal.model;

import io.rayzerocopy.StoreException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Whether a store can be trusted: its content against its hash, its files' sizes against its
 * reference, and who owns and may write it. Every actor on a machine executes whatever weights the
 * store holds, so a store another user controls is refused. Owners are compared by numeric uid,
 * which every process has, not by user name, which a uid without a passwd entry lacks.
 */
final class StoreChecks {
    private static final int UID = readUid();

    private StoreChecks() {}

    /**
     * SHA-256 over every tensor's name, dtype, shape and the SHA-256 of its bytes, then every extra
     * file's name and bytes: the store's identity, which depends on content alone. Tensors read
     * from files are hashed in bounded pieces, once per machine while the file is unchanged (their
     * digests are kept in {@code digestCache}; null keeps none).
     *
     * @throws IllegalArgumentException if a tensor's file cannot be read (it names the file)
     */
    static String contentHash(
            List<WeightStore.Tensor> tensors, Map<String, byte[]> files, Path digestCache) {
        MessageDigest md = sha256();
        for (WeightStore.Tensor t : tensors) {
            updateTensorHeader(md, t.name(), SafeTensors.toCode(t.dataType()), t.shape());
            try {
                md.update(t.bytes().sha256(digestCache));
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "cannot read tensor '" + t.name() + "': " + e.getMessage(), e);
            }
        }
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            updateFile(md, f.getKey(), f.getValue());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Checks the store in {@code dir} against its content hash, reading every byte.
     *
     * @throws StoreException naming the store if a file is missing, truncated, or the hash differs
     */
    static void verify(Path dir, StoreRef ref) {
        try {
            MessageDigest md = sha256();
            checkFiles(dir, ref);
            for (TensorSpec t : ref.tensors()) {
                updateTensorHeader(md, t.name(), t.dtype(), t.dims());
                MessageDigest tensor = sha256();
                hashRange(tensor, dir, StoreLayout.shardPath(dir, t.shard()), t);
                md.update(tensor.digest());
            }
            for (String name : ref.files().keySet()) {
                updateFile(md, name, Files.readAllBytes(StoreLayout.filePath(dir, name)));
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

    private static void hashRange(MessageDigest md, Path dir, Path shard, TensorSpec t)
            throws IOException {
        try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.READ)) {
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

    private static void updateTensorHeader(
            MessageDigest md, String name, String dtype, long[] shape) {
        md.update(
                ("tensor\0" + name + "\0" + dtype + "\0" + Arrays.toString(shape) + "\0")
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

    /**
     * Checks that the store in {@code dir} exists and that every shard and file has the size the
     * reference expects.
     */
    static void checkFiles(Path dir, StoreRef ref) {
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
            checkSize(StoreLayout.shardPath(dir, i), sizes.get(i), dir);
        }
        for (Map.Entry<String, Long> f : ref.files().entrySet()) {
            checkSize(StoreLayout.filePath(dir, f.getKey()), f.getValue(), dir);
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
     * Refuses a committed store (and its store directory) that another user owns or that anyone
     * could write: a committed store is read-only, even to its owner.
     */
    static void checkOwnership(Path dir) {
        checkStoreDirectory(dir.getParent());
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                checkOwned(p, false);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new StoreException("cannot inspect weight store " + dir + ": " + e, e);
        }
    }

    /**
     * Refuses a store directory that is a link, another user's, or writable by anyone but its
     * owner.
     */
    static void checkStoreDirectory(Path root) {
        checkOwned(root, true);
    }

    private static void checkOwned(Path p, boolean ownerMayWrite) {
        Map<String, Object> attrs;
        try {
            attrs =
                    Files.readAttributes(
                            p, "unix:uid,permissions,isSymbolicLink", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new StoreException(
                    "cannot read the owner and permissions of weight store path " + p + ": " + e,
                    e);
        }
        if ((Boolean) attrs.get("isSymbolicLink")) {
            throw new StoreException(
                    "weight store path "
                            + p
                            + " is a symbolic link; refusing to load weights through it");
        }
        int owner = (Integer) attrs.get("uid");
        if (owner != UID) {
            throw new StoreException(
                    "weight store path "
                            + p
                            + " is owned by uid "
                            + owner
                            + ", not by this process's uid "
                            + UID
                            + "; refusing to load weights another user controls (set"
                            + " RZC_STORE_DIR or -Drzc.store.dir to a directory of your own)");
        }
        @SuppressWarnings("unchecked")
        Set<PosixFilePermission> perms = (Set<PosixFilePermission>) attrs.get("permissions");
        if (perms.contains(PosixFilePermission.GROUP_WRITE)
                || perms.contains(PosixFilePermission.OTHERS_WRITE)
                || (!ownerMayWrite && perms.contains(PosixFilePermission.OWNER_WRITE))) {
            throw new StoreException(
                    "weight store path "
                            + p
                            + " has permissions "
                            + PosixFilePermissions.toString(perms)
                            + (ownerMayWrite
                                    ? "; a store directory must not be writable by others. Delete"
                                            + " it, or set RZC_STORE_DIR or -Drzc.store.dir to a"
                                            + " directory of your own"
                                    : "; a committed store must be read-only and owner-only."
                                            + " Delete it and re-create the wrapper"));
        }
    }

    /** This process's effective uid: the owner of every file it creates. */
    static int uid() {
        return UID;
    }

    /** The effective uid from /proc/self/status ("Uid: real effective saved fs"). */
    private static int readUid() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
            throw new IllegalStateException("/proc/self/status has no Uid line");
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read this process's uid from /proc/self/status: " + e.getMessage(), e);
        }
    }
}
