package io.rayzerocopy.ray;

import io.rayzerocopy.ray.internal.RemoteFn;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** RemoteFns for the Ray tests. */
final class TestFns {
    private TestFns() {}

    /** Answers every call with its own id: shows which instance ran a call. */
    static final class Id implements RemoteFn {
        private final String id;

        Id(String id) {
            this.id = id;
        }

        @Override
        public byte[] apply(byte[] input) {
            return id.getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Prefixes the input with "echo:". */
    static final class Echo implements RemoteFn {
        @Override
        public byte[] apply(byte[] input) {
            byte[] prefix = "echo:".getBytes(StandardCharsets.UTF_8);
            byte[] out = new byte[prefix.length + input.length];
            System.arraycopy(prefix, 0, out, 0, prefix.length);
            System.arraycopy(input, 0, out, prefix.length, input.length);
            return out;
        }
    }

    /** Fails while being built in the actor (its "constructor" is deserialization). */
    static final class FailsToBuild implements RemoteFn {
        @Override
        public byte[] apply(byte[] input) {
            return input;
        }

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            throw new IllegalStateException("model file /nowhere/model.pt not found");
        }
    }

    /** Throws on inputs starting with "bad", echoes the others. */
    static final class FailsOnBad implements RemoteFn {
        @Override
        public byte[] apply(byte[] input) {
            if (new String(input, StandardCharsets.UTF_8).startsWith("bad")) {
                throw new IllegalArgumentException("cannot score input 'bad'");
            }
            return input;
        }
    }

    /** Counts its close() calls in a static counter (LOCAL mode: actors share this JVM). */
    static final class CountsClose implements RemoteFn {
        static final AtomicInteger CLOSED = new AtomicInteger();

        @Override
        public byte[] apply(byte[] input) {
            return input;
        }

        @Override
        public void close() {
            CLOSED.incrementAndGet();
        }
    }
}
