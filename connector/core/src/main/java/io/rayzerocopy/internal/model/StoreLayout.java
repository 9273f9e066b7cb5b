package io.rayzerocopy.internal.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The files of one weight store: shards in the {@link SafeTensors} layout (every tensor 64-byte
 * aligned, so a mapping of it is aligned for any dtype; each shard under 2 GiB, the most one {@code
 * MappedByteBuffer} holds, unless it is a single larger tensor), extra files under {@code files/},
 * and {@code manifest.json} naming where every tensor lies. Plans a layout, writes it, and reads a
 * manifest back.
 */
final class StoreLayout {
    static final int ALIGN = 64;
    static final String MANIFEST = "manifest.json";
    static final String FILES_DIR = "files";
    private static final String FORMAT = "ray-zerocopy-store/1";
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    private static final Set<PosixFilePermission> READ_ONLY_FILE =
            PosixFilePermissions.fromString("r--------");
    private static final Set<PosixFilePermission> READ_ONLY_DIR =
            PosixFilePermissions.fromString("r-x------");
    private static final Set<PosixFilePermission> WRITABLE_DIR =
            PosixFilePermissions.fromString("rwx------");

    private StoreLayout() {}

    /** Where each tensor goes: its spec, and each shard's safetensors header and size. */
    static final class Plan {
        final List<TensorSpec> specs = new ArrayList<>();
        final List<Long> shardSizes = new ArrayList<>();
        final List<byte[]> headers = new ArrayList<>();
    }

    /**
     * Lays the tensors out in order, starting a new shard when the next tensor would make the
     * current one exceed {@code maxShardBytes}; a tensor larger than that gets a shard of its own
     * (mapped whole, see {@link MappedStore}).
     */
    static Plan plan(List<WeightStore.Tensor> tensors, long maxShardBytes) {
        List<List<WeightStore.Tensor>> shards = new ArrayList<>();
        List<WeightStore.Tensor> current = new ArrayList<>();
        long currentBytes = 0;
        for (WeightStore.Tensor t : tensors) {
            long size = align(t.byteSize());
            if (!current.isEmpty() && currentBytes + size > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(t);
            currentBytes += size;
        }
        shards.add(current);
        Plan plan = new Plan();
        for (int s = 0; s < shards.size(); s++) {
            planShard(plan, s, shards.get(s));
        }
        return plan;
    }

    private static void planShard(Plan plan, int shard, List<WeightStore.Tensor> tensors) {
        JsonObject header = new JsonObject();
        JsonObject meta = new JsonObject();
        meta.addProperty("format", "ray-zerocopy");
        meta.addProperty("shard", Integer.toString(shard));
        header.add("__metadata__", meta);
        long offset = 0;
        List<Long> offsets = new ArrayList<>();
        for (WeightStore.Tensor t : tensors) {
            JsonObject entry = new JsonObject();
            entry.addProperty("dtype", SafeTensors.toCode(t.dataType()));
            entry.add("shape", GSON.toJsonTree(t.shape()));
            JsonArray range = new JsonArray();
            range.add(offset);
            range.add(offset + t.byteSize());
            entry.add("data_offsets", range);
            header.add(t.name(), entry);
            offsets.add(offset);
            offset = align(offset + t.byteSize());
        }
        byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
        // Padding the header with spaces (valid JSON) makes the data start 64-byte aligned.
        byte[] padded = new byte[(int) (align(8 + json.length) - 8)];
        Arrays.fill(padded, (byte) ' ');
        System.arraycopy(json, 0, padded, 0, json.length);
        long dataStart = 8 + padded.length;
        long end = dataStart;
        for (int i = 0; i < tensors.size(); i++) {
            WeightStore.Tensor t = tensors.get(i);
            long start = dataStart + offsets.get(i);
            plan.specs.add(
                    new TensorSpec(
                            t.name(),
                            SafeTensors.toCode(t.dataType()),
                            t.shape(),
                            shard,
                            start,
                            t.byteSize()));
            end = start + t.byteSize();
        }
        plan.headers.add(padded);
        plan.shardSizes.add(end);
    }

    static long align(long n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    /** Writes the store's shards, extra files and manifest into the existing, empty {@code dir}. */
    static void write(
            Path dir,
            StoreRef ref,
            Plan plan,
            List<WeightStore.Tensor> tensors,
            Map<String, byte[]> files)
            throws IOException {
        for (int s = 0; s < plan.shardSizes.size(); s++) {
            try (FileChannel ch =
                    FileChannel.open(
                            shardPath(dir, s),
                            StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE)) {
                byte[] header = plan.headers.get(s);
                ByteBuffer length =
                        ByteBuffer.allocate(8)
                                .order(ByteOrder.LITTLE_ENDIAN)
                                .putLong(header.length);
                length.flip();
                writeFully(ch, length, 0);
                writeFully(ch, ByteBuffer.wrap(header), 8);
                for (int i = 0; i < tensors.size(); i++) {
                    TensorSpec spec = plan.specs.get(i);
                    if (spec.shard() == s) {
                        tensors.get(i).bytes().copyTo(ch, spec.offset());
                    }
                }
            }
        }
        if (!files.isEmpty()) {
            Files.createDirectory(dir.resolve(FILES_DIR));
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                Files.write(filePath(dir, f.getKey()), f.getValue(), StandardOpenOption.CREATE_NEW);
            }
        }
        Files.writeString(dir.resolve(MANIFEST), manifest(ref), StandardOpenOption.CREATE_NEW);
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf, long position)
            throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            pos += ch.write(buf, pos);
        }
    }

    private static String manifest(StoreRef ref) {
        JsonObject m = new JsonObject();
        m.addProperty("format", FORMAT);
        m.addProperty("sha256", ref.sha256());
        m.addProperty("shards", ref.shardSizes().size());
        JsonArray tensors = new JsonArray();
        for (TensorSpec t : ref.tensors()) {
            JsonObject o = new JsonObject();
            o.addProperty("name", t.name());
            o.addProperty("dtype", t.dtype());
            o.add("shape", GSON.toJsonTree(t.dims()));
            o.addProperty("shard", t.shard());
            o.addProperty("offset", t.offset());
            o.addProperty("bytes", t.byteSize());
            tensors.add(o);
        }
        m.add("tensors", tensors);
        m.add("files", GSON.toJsonTree(ref.files()));
        return GSON.toJson(m);
    }

    /** Reads the manifest of the committed store {@code dir} back into a reference. */
    static StoreRef readManifest(Path dir) throws IOException {
        JsonObject m =
                JsonParser.parseString(Files.readString(dir.resolve(MANIFEST))).getAsJsonObject();
        List<TensorSpec> specs = new ArrayList<>();
        for (JsonElement e : m.getAsJsonArray("tensors")) {
            JsonObject o = e.getAsJsonObject();
            specs.add(
                    new TensorSpec(
                            o.get("name").getAsString(),
                            o.get("dtype").getAsString(),
                            GSON.fromJson(o.get("shape"), long[].class),
                            o.get("shard").getAsInt(),
                            o.get("offset").getAsLong(),
                            o.get("bytes").getAsLong()));
        }
        List<Long> shardSizes = new ArrayList<>();
        for (int i = 0; i < m.get("shards").getAsInt(); i++) {
            shardSizes.add(Files.size(shardPath(dir, i)));
        }
        Map<String, Long> files = new LinkedHashMap<>();
        m.getAsJsonObject("files")
                .entrySet()
                .forEach(e -> files.put(e.getKey(), e.getValue().getAsLong()));
        return new StoreRef(
                dir.getFileName().toString(),
                m.get("sha256").getAsString(),
                specs,
                shardSizes,
                files);
    }

    static Path shardPath(Path dir, int shard) {
        return dir.resolve(String.format("shard-%05d.safetensors", shard));
    }

    static Path filePath(Path dir, String name) {
        return dir.resolve(FILES_DIR).resolve(name);
    }

    /** Every file 0400 and every directory 0500: a committed store is never written again. */
    static void makeReadOnly(Path dir) throws IOException {
        for (Path p : deepestFirst(dir)) {
            Files.setPosixFilePermissions(p, Files.isDirectory(p) ? READ_ONLY_DIR : READ_ONLY_FILE);
        }
    }

    /** Gives the owner write access to every directory again, so the store can be deleted. */
    static void makeDeletable(Path dir) throws IOException {
        for (Path p : deepestFirst(dir)) {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                Files.setPosixFilePermissions(p, WRITABLE_DIR);
            }
        }
    }

    private static List<Path> deepestFirst(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.sorted(Comparator.reverseOrder()).toList();
        }
    }
}
