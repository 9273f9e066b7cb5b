package io.rayzerocopy.internal.model;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Read-only mappings of files past 2 GB on Java 17, where {@code FileChannel.map} and every {@code
 * ByteBuffer} stop at 2^31-1 bytes: a shard holding one tensor over 2 GB is mapped whole through
 * the JDK's own {@code FileChannelImpl.mapInternal} (what the foreign-memory API maps with), and
 * the tensor is handed to libtorch as a direct buffer at its address. Binding reads only that
 * address: DJL's {@code torchSet} builds the tensor's storage from the tensor's own shape and type
 * ({@code set_}), never from the buffer's capacity, so the tensor may be larger than any buffer.
 * Needs {@code --add-opens java.base/sun.nio.ch} and {@code java.base/java.nio} (rzc, the worker
 * processes and the test JVMs pass both).
 */
final class LargeMappings {
    private static final Cleaner CLEANER = Cleaner.create();

    private LargeMappings() {}

    /**
     * A whole-file read-only mapping, unmapped by {@code unmap} or once its owner is unreachable.
     */
    record Mapping(long address, long size, Cleaner.Cleanable unmap) {}

    /**
     * Maps {@code size} bytes of {@code ch} read-only. The pages stay mapped until {@code owner}
     * becomes unreachable: keep it reachable while any tensor points into them.
     *
     * @throws IOException if the JDK does not let us map past 2 GB (it names the flags needed)
     */
    static Mapping map(FileChannel ch, long size, Object owner) throws IOException {
        try {
            Method mapInternal =
                    ch.getClass()
                            .getMethod(
                                    "mapInternal",
                                    FileChannel.MapMode.class,
                                    long.class,
                                    long.class);
            mapInternal.setAccessible(true);
            Object unmapper = mapInternal.invoke(ch, FileChannel.MapMode.READ_ONLY, 0L, size);
            Method address = unmapper.getClass().getSuperclass().getDeclaredMethod("address");
            address.setAccessible(true);
            long at = (long) address.invoke(unmapper);
            return new Mapping(at, size, CLEANER.register(owner, (Runnable) unmapper));
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException(unsupported(size, e), e);
        }
    }

    /**
     * A direct buffer at {@code address} of {@code capacity} bytes (at most 2^31-1): for a tensor
     * past 2 GB it covers the tensor's first 2 GB, and only {@code set_} (which reads the address)
     * may take it.
     */
    static ByteBuffer buffer(long address, int capacity) {
        try {
            Constructor<?> c =
                    Class.forName("java.nio.DirectByteBuffer")
                            .getDeclaredConstructor(long.class, int.class);
            c.setAccessible(true);
            return (ByteBuffer) c.newInstance(address, capacity);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException(unsupported(capacity, e), e);
        }
    }

    /**
     * Unmaps a {@code MappedByteBuffer} now rather than at some later GC (which would leave its
     * pages counted in this process, and a second mapping of the same file would count them twice).
     * Only when nothing will read the mapping again.
     */
    static void unmap(ByteBuffer mapping) {
        try {
            Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
            f.setAccessible(true);
            Object unsafe = f.get(null);
            unsafe.getClass().getMethod("invokeCleaner", ByteBuffer.class).invoke(unsafe, mapping);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // The GC unmaps it later.
        }
    }

    private static String unsupported(long size, Exception e) {
        return "cannot map "
                + size
                + " bytes as one region, which a tensor past 2 GB needs on Java "
                + Runtime.version().feature()
                + " ("
                + e
                + "): run the JVM with --add-opens java.base/sun.nio.ch=ALL-UNNAMED and"
                + " --add-opens java.base/java.nio=ALL-UNNAMED (rzc passes both), on Java 17";
    }
}
