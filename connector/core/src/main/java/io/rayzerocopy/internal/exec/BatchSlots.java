package io.rayzerocopy.internal.exec;

import io.rayzerocopy.internal.FileTrees;
import io.rayzerocopy.internal.model.LeaseNames;

import org.apache.arrow.memory.util.MemoryUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.reflect.Field;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared-memory files batches travel in between the driver and one worker process: "slots",
 * files in tmpfs ({@code /dev/shm}) in a directory of their own, {@code
 * rzc-batches-<pid>-<start>-<random>} (the name records the driver, so leftovers of a dead one are
 * recognized), that both processes map once and reuse for every batch, so their pages are faulted
 * in once per job rather than once per batch. A call takes one slot for its input (the driver
 * writes it, the worker reads it in place) and one for its output (the other way round); a slot is
 * free again when the call returns (input) or when the driver's result batch is closed (output).
 *
 * <p>Each slot file is as large as one mapping may be but sparse: tmpfs holds only the pages a
 * batch has written. The worker deletes a slot's file as soon as it has mapped it, so from then on
 * the memory lives only as long as the two mappings; the worker deletes the directory when it
 * exits, also when the driver was killed, and {@link #sweep} removes what dead drivers left.
 */
final class BatchSlots {
    /** The most one mapping can hold, which is the most one batch can take. */
    static final long CAPACITY = Integer.MAX_VALUE & ~0xFFFFL;

    static final String PREFIX = "rzc-batches-";

    private static final Logger LOG = LoggerFactory.getLogger(BatchSlots.class);

    /** A slot as the driver maps it. */
    static final class Slot {
        final int index;
        final MappedByteBuffer mapping;
        final long address;

        Slot(int index, MappedByteBuffer mapping) {
            this.index = index;
            this.mapping = mapping;
            this.address = MemoryUtil.getByteBufferAddress(mapping);
        }
    }

    private final Path directory;

    /** Slots made so far; the next one's index. */
    private int made;

    private final ArrayDeque<Slot> free = new ArrayDeque<>();
    private boolean closed;

    private BatchSlots(Path directory) {
        this.directory = directory;
    }

    /** A new, empty slot directory for one worker, after removing those of dead drivers. */
    static BatchSlots create() throws IOException {
        Path base = baseDirectory();
        sweep(base);
        Path dir =
                Files.createDirectory(
                        base.resolve(PREFIX + LeaseNames.newName()),
                        PosixFilePermissions.asFileAttribute(
                                PosixFilePermissions.fromString("rwx------")));
        return new BatchSlots(dir);
    }

    /** Where slot files live: the node's tmpfs, or the temp directory where there is none. */
    static Path baseDirectory() {
        Path shm = Paths.get("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return shm;
        }
        return Paths.get(System.getProperty("java.io.tmpdir"));
    }

    /** The directory the worker finds the slot files in. */
    Path directory() {
        return directory;
    }

    /** A free slot (the most recently used one, whose pages are mapped already) or a new one. */
    synchronized Slot acquire() throws IOException {
        if (closed) {
            throw new IOException("the worker's batch slots are closed");
        }
        Slot slot = free.pollFirst();
        if (slot != null) {
            return slot;
        }
        slot = new Slot(made, map(file(directory, made), true));
        made++;
        return slot;
    }

    /** Gives a slot back: nothing refers to its contents any more. */
    synchronized void release(Slot slot) {
        if (closed) {
            unmap(slot.mapping);
        } else {
            free.addFirst(slot);
        }
    }

    /**
     * Takes a slot out of use for good: the worker may still read it, so it is never written again;
     * the driver's own mapping goes.
     */
    synchronized void retire(Slot slot) {
        unmap(slot.mapping);
    }

    /**
     * Unmaps the free slots and deletes the directory; slots still in use (results the driver has
     * not closed yet) are unmapped when they are released.
     */
    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Slot slot : free) {
            unmap(slot.mapping);
        }
        free.clear();
        deleteTree(directory);
    }

    static Path file(Path directory, int index) {
        return directory.resolve("slot-" + index);
    }

    /** Maps {@code file} read-write over {@link #CAPACITY} bytes, creating it (sparse) if asked. */
    static MappedByteBuffer map(Path file, boolean create) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw");
                FileChannel channel = raf.getChannel()) {
            if (!create && channel.size() < CAPACITY) {
                throw new IOException(file + " is not a batch slot (" + channel.size() + " bytes)");
            }
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, CAPACITY);
        }
    }

    /**
     * Unmaps now rather than at some later GC: until then tmpfs keeps the pages of a deleted file.
     * Only for mappings nothing reads any more.
     */
    static void unmap(MappedByteBuffer mapping) {
        UnmapperHolder.UNSAFE.invokeCleaner(mapping);
    }

    /**
     * Removes the slot directories this user's dead drivers left (killed before they could clean
     * up); returns them. Directories of live drivers and of other users (root may write theirs)
     * are kept.
     */
    static List<Path> sweep(Path base) {
        List<Path> removed = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base, PREFIX + "*")) {
            Object uid = Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
            for (Path dir : dirs) {
                String holder = dir.getFileName().toString().substring(PREFIX.length());
                if (!LeaseNames.isAlive(holder)
                        && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                        && uid.equals(
                                Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS))) {
                    LOG.debug("removing {}, left by a dead driver", dir);
                    deleteTree(dir);
                    removed.add(dir);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot sweep {}: {}", base, e.toString());
        }
        return removed;
    }

    /** {@link #sweep} of where slot files live. */
    static List<Path> sweep() {
        return sweep(baseDirectory());
    }

    /** Deletes {@code dir} and what it holds, quietly: the caller is cleaning up. */
    static void deleteTree(Path dir) {
        try {
            FileTrees.deleteTree(dir);
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot delete {}: {}", dir, e.toString());
        }
    }

    /** sun.misc.Unsafe, the one supported way to unmap a MappedByteBuffer before GC does. */
    private static final class UnmapperHolder {
        static final sun.misc.Unsafe UNSAFE = unsafe();

        private static sun.misc.Unsafe unsafe() {
            try {
                Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                return (sun.misc.Unsafe) f.get(null);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot unmap batch slots: " + e, e);
            }
        }
    }
}
