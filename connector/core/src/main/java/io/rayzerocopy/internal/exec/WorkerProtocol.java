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
    /** What a frame is; its code is the frame's first byte. */
    enum Type {
        /** Driver to worker: the Java-serialized {@code ActorSpec}. */
        INIT(1),
        /** Worker to driver: the actor is constructed (pid, ms waited for the actor). */
        READY(2),
        /** Driver to worker: a batch to process ({@link Call}). */
        CALL(3),
        /** Worker to driver: a call's result ({@link #result}). */
        RESULT(4),
        /** Worker to driver: a call (or, with id 0, the constructor) failed; the message. */
        ERROR(5),
        /** Driver asks, worker answers: the worker's PSS in kB. */
        PSS(6),
        /** Driver to worker: close the actor and exit. */
        STOP(7),
        /** Worker to driver: closed; empty, or what closing failed with. */
        STOPPED(8);

        final byte code;

        Type(int code) {
            this.code = (byte) code;
        }

        static Type of(int code) throws IOException {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            throw new IOException("unknown frame type " + code);
        }
    }

    /** One frame. */
    record Frame(Type type, long id, byte[] payload) {}

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

    static void write(DataOutputStream out, Type type, long id, byte[] payload) throws IOException {
        synchronized (out) {
            out.writeByte(type.code);
            out.writeLong(id);
            out.writeInt(payload.length);
            out.write(payload);
            out.flush();
        }
    }

    /**
     * The next frame, or {@code null} at end of stream.
     *
     * @throws IOException on a frame type neither side sends
     */
    static Frame read(DataInputStream in) throws IOException {
        int code = in.read();
        if (code < 0) {
            return null;
        }
        Type type = Type.of(code);
        try {
            long id = in.readLong();
            int length = in.readInt();
            byte[] payload = new byte[length];
            in.readFully(payload);
            return new Frame(type, id, payload);
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
