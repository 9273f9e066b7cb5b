package io.rayzerocopy.internal.model;

import ai.djl.ndarray.types.DataType;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The safetensors layout: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and data offsets, then raw little-endian tensor data. Used both for the files users
 * bring (weights next to a skeleton) and for the shards of a {@link WeightStore}.
 */
public final class SafeTensors {
    /** One tensor of a safetensors file, as a read-only little-endian view of a mapping. */
    public static final class Entry {
        private final String name;
        private final String dtype;
        private final long[] shape;
        private final ByteBuffer data;

        Entry(String name, String dtype, long[] shape, ByteBuffer data) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.data = data;
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

        /** The raw bytes (a view; position 0, little-endian). */
        public ByteBuffer data() {
            return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        }
    }

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
     * Reads every tensor of a safetensors file as views of one read-only mapping (the file must be
     * under 2 GiB). The returned buffers keep the mapping alive.
     *
     * @throws IOException if the file cannot be read or is not valid safetensors (the message names
     *     the file and what is wrong)
     */
    public static List<Entry> read(Path file) throws IOException {
        MappedByteBuffer map;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() > Integer.MAX_VALUE) {
                throw new IOException(
                        file
                                + ": safetensors files over 2 GiB are not supported; split the"
                                + " weights into shards");
            }
            map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
        }
        map.order(ByteOrder.LITTLE_ENDIAN);
        if (map.capacity() < 8) {
            throw new IOException(
                    file + ": not a safetensors file (shorter than its 8-byte header length)");
        }
        long headerLen = map.getLong(0);
        if (headerLen <= 0 || headerLen > map.capacity() - 8) {
            throw new IOException(
                    file
                            + ": not a safetensors file (header length "
                            + headerLen
                            + " does not fit a "
                            + map.capacity()
                            + "-byte file)");
        }
        byte[] headerBytes = new byte[(int) headerLen];
        map.get(8, headerBytes);
        JsonObject header;
        try {
            header =
                    JsonParser.parseString(new String(headerBytes, StandardCharsets.UTF_8))
                            .getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException(
                    file + ": safetensors header is not valid JSON: " + e.getMessage(), e);
        }
        int dataStart = 8 + (int) headerLen;
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonObject t = e.getValue().getAsJsonObject();
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
            if (begin < 0
                    || end < begin
                    || dataStart + end > map.capacity()
                    || end - begin != expected) {
                throw new IOException(
                        file
                                + ": tensor '"
                                + e.getKey()
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
                                + map.capacity()
                                + " bytes): the file is truncated or corrupt");
            }
            ByteBuffer slice =
                    map.slice(dataStart + (int) begin, (int) (end - begin))
                            .order(ByteOrder.LITTLE_ENDIAN);
            entries.add(new Entry(e.getKey(), dtype, shape, slice));
        }
        return entries;
    }
}
