package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;

/** One batch as an Arrow IPC stream: the format batches take between processes. */
public final class ArrowIpc {
    private ArrowIpc() {}

    /** Serializes {@code root} (schema and one record batch). */
    public static byte[] write(VectorSchemaRoot root) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ArrowStreamWriter writer =
                new ArrowStreamWriter(root, null, Channels.newChannel(bytes))) {
            writer.start();
            writer.writeBatch();
            writer.end();
        }
        return bytes.toByteArray();
    }

    /**
     * Reads one batch; the returned root is allocated from {@code allocator} and owned by the
     * caller.
     */
    public static VectorSchemaRoot read(byte[] ipc, BufferAllocator allocator) throws IOException {
        try (ArrowStreamReader reader =
                new ArrowStreamReader(new ByteArrayInputStream(ipc), allocator)) {
            if (!reader.loadNextBatch()) {
                throw new IOException("the Arrow IPC stream holds no batch");
            }
            return Roots.transfer(reader.getVectorSchemaRoot(), allocator);
        }
    }
}
