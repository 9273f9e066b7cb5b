package io.rayzerocopy.internal.data;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One batch laid out in memory that another process maps (a file in tmpfs): the Arrow buffers of
 * its vectors, each at a 64-byte aligned offset, plus a small descriptor (schema with its metadata,
 * row count, field nodes, each buffer's offset and length) that travels separately. Writing copies
 * each buffer once into the region; reading builds vectors whose buffers are the region itself, so
 * a process reads a batch another one wrote without copying it.
 */
public final class MappedBatch {
    private static final int ALIGNMENT = 64;

    private MappedBatch() {}

    /** What a batch occupies in the region it was written to, and how to read it back. */
    public record Descriptor(byte[] bytes, long usedBytes) {}

    /**
     * Bytes {@code root} needs in a region: its buffers, each rounded up to the alignment. The root
     * is not changed.
     */
    public static long sizeOf(VectorSchemaRoot root) {
        try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
            long end = 0;
            for (ArrowBuf buf : batch.getBuffers()) {
                end = align(end) + buf.readableBytes();
            }
            return end;
        }
    }

    /**
     * Copies the buffers of {@code root} into the region at {@code address} of {@code capacity}
     * bytes and returns the descriptor that {@link #read} takes. The root is not changed.
     *
     * @throws IllegalArgumentException if the batch does not fit
     */
    public static Descriptor write(VectorSchemaRoot root, long address, long capacity) {
        try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            DataOutputStream out = new DataOutputStream(bytes);
            byte[] schema = root.getSchema().serializeAsMessage();
            out.writeInt(schema.length);
            out.write(schema);
            out.writeInt(batch.getLength());
            out.writeInt(batch.getNodes().size());
            for (ArrowFieldNode node : batch.getNodes()) {
                out.writeInt(node.getLength());
                out.writeInt(node.getNullCount());
            }
            out.writeInt(batch.getVariadicBufferCounts().size());
            for (long count : batch.getVariadicBufferCounts()) {
                out.writeLong(count);
            }
            out.writeInt(batch.getBuffers().size());
            long offset = 0;
            for (ArrowBuf buf : batch.getBuffers()) {
                offset = align(offset);
                long length = buf.readableBytes();
                if (offset + length > capacity) {
                    throw new IllegalArgumentException(
                            "a batch of "
                                    + root.getRowCount()
                                    + " rows needs "
                                    + sizeOf(root)
                                    + " bytes, more than the "
                                    + capacity
                                    + " bytes one batch may take between processes; pass fewer"
                                    + " rows per batch");
                }
                if (length > 0) {
                    MemoryUtil.copyMemory(
                            buf.memoryAddress() + buf.readerIndex(), address + offset, length);
                }
                out.writeLong(offset);
                out.writeLong(length);
                offset += length;
            }
            out.flush();
            return new Descriptor(bytes.toByteArray(), offset);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The batch {@code descriptor} describes, whose buffers are the region at {@code address}
     * itself (nothing is copied), accounted to {@code allocator}. {@code onRelease} runs once the
     * last vector referring to the region is closed: until then the region must stay mapped and
     * unchanged.
     */
    public static VectorSchemaRoot read(
            byte[] descriptor, long address, BufferAllocator allocator, Runnable onRelease) {
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(descriptor));
            byte[] schemaBytes = new byte[in.readInt()];
            in.readFully(schemaBytes);
            Schema schema = Schema.deserializeMessage(ByteBuffer.wrap(schemaBytes));
            int rows = in.readInt();
            List<ArrowFieldNode> nodes = new ArrayList<>();
            for (int i = in.readInt(); i > 0; i--) {
                nodes.add(new ArrowFieldNode(in.readInt(), in.readInt()));
            }
            List<Long> variadic = new ArrayList<>();
            for (int i = in.readInt(); i > 0; i--) {
                variadic.add(in.readLong());
            }
            int count = in.readInt();
            long[] offsets = new long[count];
            long[] lengths = new long[count];
            long end = 0;
            for (int i = 0; i < count; i++) {
                offsets[i] = in.readLong();
                lengths[i] = in.readLong();
                end = Math.max(end, offsets[i] + lengths[i]);
            }
            // One allocation for the whole batch: every buffer is a slice of it, so the region is
            // released once, when the last vector lets go of its slice.
            ArrowBuf region =
                    allocator.wrapForeignAllocation(
                            new ForeignAllocation(Math.max(end, 1), address) {
                                @Override
                                protected void release0() {
                                    onRelease.run();
                                }
                            });
            VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
            try (region) {
                List<ArrowBuf> buffers = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    buffers.add(region.slice(offsets[i], lengths[i]));
                }
                try (ArrowRecordBatch batch =
                        new ArrowRecordBatch(
                                rows,
                                nodes,
                                buffers,
                                NoCompressionCodec.DEFAULT_BODY_COMPRESSION,
                                variadic,
                                true)) {
                    new VectorLoader(root).load(batch);
                }
            } catch (RuntimeException e) {
                root.close();
                throw e;
            }
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException("a batch descriptor is damaged", e);
        }
    }

    private static long align(long offset) {
        return (offset + ALIGNMENT - 1) & -ALIGNMENT;
    }
}
