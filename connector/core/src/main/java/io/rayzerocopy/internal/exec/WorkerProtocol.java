package io.rayzerocopy.internal.exec;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Frames between the driver and a worker process, over a Unix domain socket the driver listens on:
 * a type byte, a call id, a length and a payload. Batches do not travel on the socket: a call names
 * the shared-memory slot holding its input and the one to write its output to ({@link BatchSlots}),
 * with the input's {@link io.rayzerocopy.internal.data.MappedBatch} descriptor; a result carries
 * the output's descriptor.
 */
final class WorkerProtocol {
    static final byte INIT = 1;
    static final byte READY = 2;
    static final byte CALL = 3;
    static final byte RESULT = 4;
    static final byte ERROR = 5;
    static final byte PSS = 6;
    static final byte STOP = 7;
    static final byte STOPPED = 8;

    /** One frame. */
    static final class Frame {
        final byte type;
        final long id;
        final byte[] payload;

        Frame(byte type, long id, byte[] payload) {
            this.type = type;
            this.id = id;
            this.payload = payload;
        }
    }

    /** A call's payload: where its input is, where its output goes, and the input's layout. */
    record Call(int inSlot, int outSlot, byte[] descriptor) {
        byte[] encode() {
            return ByteBuffer.allocate(8 + descriptor.length)
                    .putInt(inSlot)
                    .putInt(outSlot)
                    .put(descriptor)
                    .array();
        }

        static Call parse(byte[] payload) {
            ByteBuffer b = ByteBuffer.wrap(payload);
            int in = b.getInt();
            int out = b.getInt();
            return new Call(in, out, Arrays.copyOfRange(payload, 8, payload.length));
        }
    }

    /**
     * A result's payload: whether the worker let go of the input slot (an actor that kept a
     * reference to its input would see it overwritten by the next batch, so the driver then never
     * reuses that slot), and the output's descriptor.
     */
    static byte[] result(boolean inputReleased, byte[] descriptor) {
        byte[] payload = new byte[descriptor.length + 1];
        payload[0] = (byte) (inputReleased ? 1 : 0);
        System.arraycopy(descriptor, 0, payload, 1, descriptor.length);
        return payload;
    }

    static boolean inputReleased(byte[] resultPayload) {
        return resultPayload[0] == 1;
    }

    static byte[] resultDescriptor(byte[] resultPayload) {
        return Arrays.copyOfRange(resultPayload, 1, resultPayload.length);
    }

    private WorkerProtocol() {}

    static void write(DataOutputStream out, byte type, long id, byte[] payload) throws IOException {
        synchronized (out) {
            out.writeByte(type);
            out.writeLong(id);
            out.writeInt(payload.length);
            out.write(payload);
            out.flush();
        }
    }

    /** The next frame, or {@code null} at end of stream. */
    static Frame read(DataInputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            return null;
        }
        try {
            long id = in.readLong();
            int length = in.readInt();
            byte[] payload = new byte[length];
            in.readFully(payload);
            return new Frame((byte) type, id, payload);
        } catch (EOFException e) {
            return null;
        }
    }

    static String text(byte[] payload) {
        return new String(payload, StandardCharsets.UTF_8);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (56 - 8 * i));
        }
        return b;
    }

    static long longOf(byte[] b) {
        return longOf(b, 0);
    }

    /** The {@code index}-th long of {@code b}, 0 if {@code b} is shorter. */
    static long longOf(byte[] b, int index) {
        long v = 0;
        for (byte x : Arrays.copyOfRange(b, 8 * index, 8 * index + 8)) {
            v = (v << 8) | (x & 0xff);
        }
        return v;
    }

    static byte[] longsBytes(long... values) {
        byte[] b = new byte[8 * values.length];
        for (int i = 0; i < values.length; i++) {
            System.arraycopy(longBytes(values[i]), 0, b, 8 * i, 8);
        }
        return b;
    }
}
