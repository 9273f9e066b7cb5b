package io.rayzerocopy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

/** Java serialization round trips for tests. */
public final class Serialization {
    private Serialization() {}

    /** Serializes with Java serialization. */
    public static byte[] serialize(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    /** Deserializes, as the type the caller expects. */
    @SuppressWarnings("unchecked")
    public static <T> T deserialize(byte[] bytes) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return (T) in.readObject();
        }
    }

    /** A copy made by serializing and deserializing, as another process would receive it. */
    public static <T> T roundTrip(T value) throws IOException, ClassNotFoundException {
        return deserialize(serialize(value));
    }
}
