package io.rayzerocopy.internal.model;

import ai.djl.ndarray.types.DataType;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The safetensors layout: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and data offsets, then raw little-endian tensor data. Files of any size are read
 * header first; tensor bytes stay in the file until the store copies them. Used both for the files
 * users bring (weights next to a skeleton) and for the shards of a {@link WeightStore}.
 */
public final class SafeTensors {
    /** One tensor of a safetensors file: where its bytes lie in the file. */
    public static final class Entry {
        private final Path file;
        private final String name;
        private final String dtype;
        private final long[] shape;
        private final long offset;
        private final long length;

        Entry(Path file, String name, String dtype, long[] shape, long offset, long length) {
            this.file = file;
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.offset = offset;
            this.length = length;
        }

        /** Tensor name. */
        public String name() {
            return name;
        }

        /** Safetensors dtype code. */
        public String dtype() {
            return dtype;
        }

        /** Dimensions. */
        public long[] shape() {
            return shape.clone();
        }

        /**
         * The raw bytes as a read-only little-endian view of a mapping of the tensor (under 2 GB).
         */
        public ByteBuffer data() throws IOException {
            if (length > Integer.MAX_VALUE) {
                throw new IOException(
                        file + ": tensor '" + name + "' has " + length + " bytes, over 2 GB");
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                return ch.map(FileChannel.MapMode.READ_ONLY, offset, length)
                        .order(ByteOrder.LITTLE_ENDIAN);
            }
        }

        /** The bytes as a range of the file, for the store to copy. */
        TensorBytes bytes() {
            return TensorBytes.ofFile(file, offset, length);
        }
    }

    /** The largest header accepted (safetensors itself caps it at 100 MB). */
    private static final long MAX_HEADER = 100L << 20;

    private SafeTensors() {}

    /** Maps a safetensors dtype code to DJL's data type. */
    public static DataType toDataType(String dtype) {
        switch (dtype) {
            case "F32":
                return DataType.FLOAT32;
            case "F64":
                return DataType.FLOAT64;
            case "F16":
                return DataType.FLOAT16;
            case "BF16":
                return DataType.BFLOAT16;
            case "I64":
                return DataType.INT64;
            case "I32":
                return DataType.INT32;
            case "I16":
                return DataType.INT16;
            case "I8":
                return DataType.INT8;
            case "U8":
                return DataType.UINT8;
            case "BOOL":
                return DataType.BOOLEAN;
            default:
                throw new IllegalArgumentException("unsupported safetensors dtype '" + dtype + "'");
        }
    }

    /** Maps DJL's data type to a safetensors dtype code. */
    public static String toCode(DataType type) {
        switch (type) {
            case FLOAT32:
                return "F32";
            case FLOAT64:
                return "F64";
            case FLOAT16:
                return "F16";
            case BFLOAT16:
                return "BF16";
            case INT64:
                return "I64";
            case INT32:
                return "I32";
            case INT16:
                return "I16";
            case INT8:
                return "I8";
            case UINT8:
                return "U8";
            case BOOLEAN:
                return "BOOL";
            default:
                throw new IllegalArgumentException(
                        "tensor data type " + type + " cannot be stored");
        }
    }

    /**
     * Reads the header of a safetensors file (any size): every tensor's name, type, shape and byte
     * range, checked against the file's size. No tensor data is read.
     *
     * @throws IOException if the file cannot be read or is not valid safetensors (the message names
     *     the file, the tensor and the sizes)
     */
    public static List<Entry> read(Path file) throws IOException {
        long size;
        long headerLen;
        byte[] headerBytes;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            size = ch.size();
            if (size < 8) {
                throw new IOException(
                        file + ": not a safetensors file (shorter than its 8-byte header length)");
            }
            headerLen = readFully(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            if (headerLen <= 0 || headerLen > size - 8 || headerLen > MAX_HEADER) {
                throw new IOException(
                        file
                                + ": not a safetensors file (header length "
                                + headerLen
                                + " does not fit a "
                                + size
                                + "-byte file)");
            }
            headerBytes = readFully(ch, 8, (int) headerLen).array();
        }
        JsonObject header;
        try {
            header =
                    JsonParser.parseString(new String(headerBytes, StandardCharsets.UTF_8))
                            .getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException(
                    file + ": safetensors header is not valid JSON: " + e.getMessage(), e);
        }
        long dataStart = 8 + headerLen;
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (!e.getKey().equals("__metadata__")) {
                entries.add(
                        entry(file, size, dataStart, e.getKey(), e.getValue().getAsJsonObject()));
            }
        }
        return entries;
    }

    private static Entry entry(Path file, long size, long dataStart, String name, JsonObject t)
            throws IOException {
        String dtype = t.get("dtype").getAsString();
        JsonArray shapeJson = t.getAsJsonArray("shape");
        long[] shape = new long[shapeJson.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeJson.get(i).getAsLong();
            numel *= shape[i];
        }
        JsonArray offsets = t.getAsJsonArray("data_offsets");
        long begin = offsets.get(0).getAsLong();
        long end = offsets.get(1).getAsLong();
        long expected = numel * toDataType(dtype).getNumOfBytes();
        if (begin < 0 || end < begin || dataStart + end > size || end - begin != expected) {
            throw new IOException(
                    file
                            + ": tensor '"
                            + name
                            + "' "
                            + dtype
                            + shapeJson
                            + " has data offsets ["
                            + begin
                            + ", "
                            + end
                            + "] that do not fit its shape ("
                            + expected
                            + " bytes) or the file ("
                            + size
                            + " bytes): the file is truncated or corrupt");
        }
        return new Entry(file, name, dtype, shape, dataStart + begin, end - begin);
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int length)
            throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            if (ch.read(buf, position + buf.position()) < 0) {
                throw new IOException("unexpected end of file at byte " + position);
            }
        }
        return buf.flip();
    }
}
