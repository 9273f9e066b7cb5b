package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** Proof of zero-copy: the memory of every parameter lies inside a mapping of the store's files. */
public final class ZeroCopy {
    private ZeroCopy() {}

    /** Address of a direct buffer's first byte. */
    public static long address(ByteBuffer direct) {
        try {
            Field f = Buffer.class.getDeclaredField("address");
            f.setAccessible(true);
            return f.getLong(direct);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Ranges {start, end} of this process's mappings of files under {@code dir}, from
     * /proc/self/maps.
     */
    public static List<long[]> mappingsUnder(String dir) {
        List<long[]> ranges = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/maps"))) {
                String[] f = line.trim().split("\\s+", 6);
                if (f.length == 6 && f[5].startsWith(dir)) {
                    String[] r = f[0].split("-");
                    ranges.add(
                            new long[] {
                                Long.parseUnsignedLong(r[0], 16), Long.parseUnsignedLong(r[1], 16)
                            });
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ranges;
    }

    /**
     * Asserts that the data of every parameter of {@code model} lies inside a mapping of the
     * wrapper's store.
     */
    public static void assertAllParametersInStore(Model model, ModelWrapper wrapper) {
        List<long[]> maps = mappingsUnder(Stores.directory(wrapper).toString());
        int checked = 0;
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            NDArray array = p.getValue().getArray();
            // The view's size, not size() * getDataType().getNumOfBytes(): DJL reports bfloat16
            // as UNKNOWN, whose size is 0, which would check the first byte only.
            ByteBuffer data = array.toByteBuffer(true);
            long start = address(data);
            long end = start + data.capacity();
            boolean inside = maps.stream().anyMatch(r -> start >= r[0] && end <= r[1]);
            assertTrue(
                    inside,
                    "parameter "
                            + p.getKey()
                            + " at 0x"
                            + Long.toHexString(start)
                            + " is not inside a mapping of "
                            + Stores.directory(wrapper));
            checked++;
        }
        assertTrue(checked > 0, "model has no parameters to check");
    }
}
