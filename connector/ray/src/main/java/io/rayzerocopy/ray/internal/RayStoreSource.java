package io.rayzerocopy.ray.internal;

import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import io.rayzerocopy.StoreException;
import io.rayzerocopy.spi.LocalStore;
import io.rayzerocopy.spi.StoreSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A weight store published as Ray objects: the driver puts each store file, in chunks of at most
 * 256 MB, into Ray's object store once; a node without the store fetches the chunks and
 * materializes the store once; all its actors then map it. The
 * chunks live as long as the driver holds the wrapper (the driver owns the object references).
 */
public final class RayStoreSource implements StoreSource {
    private static final long serialVersionUID = 1L;
    static final int CHUNK = 256 << 20;

    private final LinkedHashMap<String, List<ObjectRef<byte[]>>> chunks;

    private RayStoreSource(LinkedHashMap<String, List<ObjectRef<byte[]>>> chunks) {
        this.chunks = chunks;
    }

    /**
     * Puts every file of the committed store {@code store}, as this machine has it, into Ray's
     * object store. Ray must be started.
     */
    public static RayStoreSource publish(LocalStore store) {
        LinkedHashMap<String, List<ObjectRef<byte[]>>> chunks = new LinkedHashMap<>();
        Path dir = store.directory();
        try {
            for (String name : store.files()) {
                Path file = dir.resolve(name);
                List<ObjectRef<byte[]>> parts = new ArrayList<>();
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    long size = ch.size();
                    long pos = 0;
                    do {
                        int n = (int) Math.min(CHUNK, size - pos);
                        ByteBuffer buf = ByteBuffer.allocate(n);
                        while (buf.hasRemaining()) {
                            if (ch.read(buf, pos + buf.position()) < 0) {
                                throw new IOException(
                                        file + " ended before its " + size + " bytes");
                            }
                        }
                        parts.add(Ray.put(buf.array()));
                        pos += n;
                    } while (pos < size);
                }
                chunks.put(name, parts);
            }
        } catch (IOException e) {
            throw new StoreException(
                    "cannot publish weight store " + dir + " to Ray: " + e.getMessage(), e);
        }
        return new RayStoreSource(chunks);
    }

    @Override
    public List<String> files() {
        return List.copyOf(chunks.keySet());
    }

    @Override
    public void copy(String file, WritableByteChannel out) throws IOException {
        List<ObjectRef<byte[]>> parts = chunks.get(file);
        if (parts == null) {
            throw new IOException("no published file " + file);
        }
        for (ObjectRef<byte[]> part : parts) {
            ByteBuffer buf = ByteBuffer.wrap(Ray.get(part));
            while (buf.hasRemaining()) {
                out.write(buf);
            }
        }
    }

    /** Chunks per file, for tests and logs. */
    Map<String, Integer> chunkCounts() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        chunks.forEach((k, v) -> counts.put(k, v.size()));
        return counts;
    }
}
