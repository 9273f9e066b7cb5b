package io.rayzerocopy.internal.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Turns a TorchScript file into a weight-free skeleton, in Java, the way the Python recipe does:
 * every parameter storage is cut to one element and every parameter tensor gets stride 0 (an
 * "expand" of that element), so the file shrinks to its code and structure.
 *
 * <p>A TorchScript file is a zip: {@code data.pkl} pickles the module tree, and each tensor is a
 * call {@code torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)} whose storage is
 * a persistent id {@code ('storage', type, key, location, numel)} pointing at record {@code
 * data/<key>}. Only storages whose bytes equal a parameter's bytes are cut; buffers (e.g. BatchNorm
 * statistics) and constants are kept, since they cannot be re-bound through DJL. Anything
 * unexpected in the pickle makes {@link #strip} return the file unchanged, which is always correct,
 * only larger.
 */
final class TorchScriptSkeletons {
    private static final String REBUILD = "torch._utils\n_rebuild_tensor_v2";
    private static final Map<String, Integer> ITEM_SIZES =
            Map.of(
                    "FloatStorage",
                    4,
                    "DoubleStorage",
                    8,
                    "HalfStorage",
                    2,
                    "BFloat16Storage",
                    2,
                    "LongStorage",
                    8,
                    "IntStorage",
                    4,
                    "ShortStorage",
                    2,
                    "CharStorage",
                    1,
                    "ByteStorage",
                    1,
                    "BoolStorage",
                    1);

    /** The time of every entry of a skeleton: the earliest a zip can record. */
    private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

    private TorchScriptSkeletons() {}

    /**
     * Returns a skeleton of {@code pt} with the storages of {@code parameters} cut, or {@code pt}
     * itself.
     */
    static byte[] strip(Path file, byte[] pt, Collection<ByteBuffer> parameters) {
        try {
            Archive archive = Archive.open(file);
            if (archive == null) {
                return pt;
            }
            Set<String> paramDigests = digests(parameters);
            Map<String, byte[]> entries = archive.entries;
            String pklName = archive.pklName;
            Pickle pickle = archive.pickle;
            Map<String, Integer> numel = new HashMap<>();
            for (Site site : pickle.sites) {
                if (ITEM_SIZES.get(site.storageType) == null
                        || !archive.holdsParameter(site, paramDigests)) {
                    continue;
                }
                numel.merge(site.key, (int) site.offset + 1, Math::max);
            }
            if (numel.isEmpty()) {
                return pt;
            }
            byte[] pkl = pickle.rewrite(numel);
            Map<String, byte[]> out = new LinkedHashMap<>();
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                byte[] data = e.getValue();
                if (e.getKey().equals(pklName)) {
                    data = pkl;
                } else if (e.getKey().startsWith(archive.dataPrefix())) {
                    String key = e.getKey().substring(archive.dataPrefix().length());
                    Integer n = numel.get(key);
                    if (n != null) {
                        int bytes = n * ITEM_SIZES.get(pickle.storageTypes.get(key));
                        data = java.util.Arrays.copyOf(data, Math.min(bytes, data.length));
                    }
                }
                out.put(e.getKey(), data);
            }
            return writeZip(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read TorchScript archive: " + e.getMessage(), e);
        }
    }

    /**
     * The tensors of a TorchScript file that are not parameters (buffers such as BatchNorm
     * statistics, tensor constants of the module's state), which stay in the skeleton and so are
     * private to each actor: "attribute dtype[shape] bytes" each. Empty if the file cannot be read.
     */
    static List<String> privateTensors(Path file, Collection<ByteBuffer> parameters) {
        List<String> out = new ArrayList<>();
        try {
            Archive archive = Archive.open(file);
            if (archive == null) {
                return out;
            }
            Set<String> paramDigests = digests(parameters);
            for (Site site : archive.pickle.sites) {
                if (archive.record(site) != null && !archive.holdsParameter(site, paramDigests)) {
                    long numel = 1;
                    for (long d : site.sizes) {
                        numel *= d;
                    }
                    Integer itemSize = ITEM_SIZES.get(site.storageType);
                    out.add(
                            (site.attribute == null ? "?" : site.attribute)
                                    + " "
                                    + site.storageType.replace("Storage", "")
                                    + site.sizes
                                    + " "
                                    + (itemSize == null ? "?" : Long.toString(numel * itemSize))
                                    + " bytes");
                }
            }
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        return out;
    }

    /** The zip of a TorchScript file with its parsed {@code data.pkl}. */
    private static final class Archive {
        final Map<String, byte[]> entries;
        final String pklName;
        final Pickle pickle;

        private Archive(Map<String, byte[]> entries, String pklName, Pickle pickle) {
            this.entries = entries;
            this.pklName = pklName;
            this.pickle = pickle;
        }

        /** The archive, or {@code null} if it has no top-level data.pkl we can parse. */
        static Archive open(Path file) throws IOException {
            Map<String, byte[]> entries = readZip(file);
            for (String name : entries.keySet()) {
                if (name.endsWith("/data.pkl") && name.indexOf('/') == name.lastIndexOf('/')) {
                    Pickle pickle = Pickle.parse(entries.get(name));
                    return pickle == null ? null : new Archive(entries, name, pickle);
                }
            }
            return null;
        }

        String dataPrefix() {
            return pklName.substring(0, pklName.indexOf('/')) + "/data/";
        }

        byte[] record(Site site) {
            return entries.get(dataPrefix() + site.key);
        }

        /** Whether the site's storage holds exactly the bytes of one of the parameters. */
        boolean holdsParameter(Site site, Set<String> paramDigests) {
            byte[] data = record(site);
            return data != null && paramDigests.contains(digest(ByteBuffer.wrap(data)));
        }
    }

    private static Set<String> digests(Collection<ByteBuffer> parameters) {
        Set<String> out = new HashSet<>();
        for (ByteBuffer p : parameters) {
            out.add(digest(p.duplicate()));
        }
        return out;
    }

    private static String digest(ByteBuffer data) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            int length = data.remaining();
            md.update(data);
            return length + ":" + HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, byte[]> readZip(Path file) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                try (InputStream in = zip.getInputStream(e)) {
                    entries.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return entries;
    }

    /**
     * Writes the entries in the given order with a fixed time, so the same model always gives the
     * same bytes: the skeleton is part of the store's content hash, and a time stamp in it would
     * give one model a new store every two seconds.
     */
    private static byte[] writeZip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setTimeLocal(ENTRY_TIME);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(e.getValue().length);
                entry.setCompressedSize(e.getValue().length);
                entry.setCrc(crc.getValue());
                out.putNextEntry(entry);
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** One {@code _rebuild_tensor_v2} call: its storage and the tokens to rewrite. */
    private static final class Site {
        String key;
        String storageType;
        String attribute;
        final List<Long> sizes = new ArrayList<>();
        long offset;
        final List<Integer> strideTokens = new ArrayList<>();
    }

    /** A pickle as a flat list of opcode tokens, with the tensor rebuild sites found in it. */
    private static final class Pickle {
        final byte[] data;
        final List<int[]> tokens = new ArrayList<>();
        final List<Site> sites = new ArrayList<>();
        final Map<String, Integer> numelTokens = new HashMap<>();
        final Map<String, String> storageTypes = new HashMap<>();

        private Pickle(byte[] data) {
            this.data = data;
        }

        /**
         * Tokenizes and finds the rebuild sites; {@code null} if the pickle has an unexpected
         * shape.
         */
        static Pickle parse(byte[] data) {
            Pickle p = new Pickle(data);
            int pos = 0;
            while (pos < data.length) {
                int end = tokenEnd(data, pos);
                if (end < 0) {
                    return null;
                }
                p.tokens.add(new int[] {pos, end});
                pos = end;
            }
            return p.findSites() ? p : null;
        }

        private int op(int t) {
            return data[tokens.get(t)[0]] & 0xff;
        }

        private boolean findSites() {
            Map<Long, String> memo = new HashMap<>();
            String lastValue = null;
            for (int t = 0; t < tokens.size(); t++) {
                int op = op(t);
                if (op == 'q' || op == 'r') {
                    if (lastValue != null) {
                        memo.put(intArg(t), lastValue);
                    }
                    continue;
                }
                String value = value(t, memo);
                if (REBUILD.equals(value)) {
                    attribute = lastString;
                    if (t + 1 < tokens.size() && (op(t + 1) == 'q' || op(t + 1) == 'r')) {
                        memo.put(intArg(t + 1), value);
                        t++;
                    }
                    int next = parseSite(t + 1, memo);
                    if (next < 0) {
                        return false;
                    }
                    t = next - 1;
                    lastValue = null;
                    continue;
                }
                lastValue = value;
                if (value != null && value.startsWith("s:")) {
                    lastString = value.substring(2);
                }
            }
            return true;
        }

        /** A token's value for memo purposes: a global, a string, or a storage reference. */
        private String value(int t, Map<Long, String> memo) {
            int op = op(t);
            int[] tok = tokens.get(t);
            switch (op) {
                case 'c':
                    return new String(
                            data, tok[0] + 1, tok[1] - tok[0] - 2, StandardCharsets.UTF_8);
                case 'X':
                    return "s:"
                            + new String(
                                    data, tok[0] + 5, tok[1] - tok[0] - 5, StandardCharsets.UTF_8);
                case 0x8c:
                    return "s:"
                            + new String(
                                    data, tok[0] + 2, tok[1] - tok[0] - 2, StandardCharsets.UTF_8);
                case 'h':
                case 'j':
                    return memo.get(intArg(t));
                default:
                    return null;
            }
        }

        private String lastString;
        private String attribute;

        private int parseSite(int t, Map<Long, String> memo) {
            if (t >= tokens.size() || op(t) != '(') {
                return -1;
            }
            t++;
            Site site = new Site();
            String ref = t < tokens.size() ? value(t, memo) : null;
            if (ref != null && ref.startsWith("storage:")) {
                site.key = ref.substring("storage:".length());
                site.storageType = storageTypes.get(site.key);
                t++;
            } else {
                if (op(t) != '(') {
                    return -1;
                }
                t++;
                List<String> values = new ArrayList<>();
                int numelToken = -1;
                while (t < tokens.size() && op(t) != 't') {
                    int op = op(t);
                    if (op == 'q' || op == 'r') {
                        memo.put(
                                intArg(t), values.isEmpty() ? null : values.get(values.size() - 1));
                    } else if (isInt(op)) {
                        numelToken = t;
                        values.add("i");
                    } else {
                        values.add(value(t, memo));
                    }
                    t++;
                }
                if (values.size() != 5
                        || !"s:storage".equals(values.get(0))
                        || values.get(1) == null
                        || values.get(2) == null
                        || numelToken < 0
                        || t + 1 >= tokens.size()
                        || op(t + 1) != 'Q') {
                    return -1;
                }
                String type = values.get(1);
                site.storageType = type.substring(type.indexOf('\n') + 1);
                site.key = values.get(2).substring(2);
                storageTypes.put(site.key, site.storageType);
                numelTokens.put(site.key, numelToken);
                t += 2;
                if (t < tokens.size() && (op(t) == 'q' || op(t) == 'r')) {
                    memo.put(intArg(t), "storage:" + site.key);
                    t++;
                }
            }
            if (site.storageType == null || t >= tokens.size() || !isInt(op(t))) {
                return -1;
            }
            site.offset = intArg(t);
            t++;
            List<Integer> sizes = new ArrayList<>();
            t = intTuple(t, sizes);
            if (t < 0) {
                return -1;
            }
            t = intTuple(t, site.strideTokens);
            if (t < 0 || sizes.size() != site.strideTokens.size()) {
                return -1;
            }
            for (int tok : sizes) {
                site.sizes.add(intArg(tok));
            }
            site.attribute = attribute;
            sites.add(site);
            return t;
        }

        /** Parses {@code MARK int* TUPLE} or {@code EMPTY_TUPLE}, collecting the int tokens. */
        private int intTuple(int t, List<Integer> ints) {
            if (t < tokens.size() && op(t) == ')') {
                return t + 1;
            }
            if (t >= tokens.size() || op(t) != '(') {
                return -1;
            }
            t++;
            while (t < tokens.size() && isInt(op(t))) {
                ints.add(t);
                t++;
            }
            return t < tokens.size() && op(t) == 't' ? t + 1 : -1;
        }

        byte[] rewrite(Map<String, Integer> numel) {
            Map<Integer, byte[]> replace = new HashMap<>();
            for (Map.Entry<String, Integer> e : numel.entrySet()) {
                Integer tok = numelTokens.get(e.getKey());
                if (tok != null) {
                    replace.put(tok, encodeInt(e.getValue()));
                }
            }
            for (Site site : sites) {
                if (numel.containsKey(site.key)) {
                    for (int tok : site.strideTokens) {
                        replace.put(tok, encodeInt(0));
                    }
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length);
            for (int t = 0; t < tokens.size(); t++) {
                int[] tok = tokens.get(t);
                byte[] r = replace.get(t);
                if (r != null) {
                    out.write(r, 0, r.length);
                } else {
                    out.write(data, tok[0], tok[1] - tok[0]);
                }
            }
            return out.toByteArray();
        }

        private static byte[] encodeInt(int v) {
            if (v >= 0 && v < 256) {
                return new byte[] {'K', (byte) v};
            }
            if (v >= 0 && v < 65536) {
                return new byte[] {'M', (byte) v, (byte) (v >> 8)};
            }
            return new byte[] {'J', (byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
        }

        private static boolean isInt(int op) {
            return op == 'K' || op == 'M' || op == 'J' || op == 0x8a;
        }

        /** The integer argument of an int, BINPUT/BINGET or LONG1 token. */
        private long intArg(int t) {
            int[] tok = tokens.get(t);
            int op = op(t);
            int start = tok[0] + 1;
            int n;
            switch (op) {
                case 'K':
                case 'q':
                case 'h':
                    n = 1;
                    break;
                case 'M':
                    n = 2;
                    break;
                case 'J':
                case 'r':
                case 'j':
                    n = 4;
                    break;
                case 0x8a:
                    n = data[start] & 0xff;
                    start++;
                    break;
                default:
                    throw new IllegalStateException("not an int token: " + op);
            }
            long v = 0;
            for (int i = n - 1; i >= 0; i--) {
                v = (v << 8) | (data[start + i] & 0xff);
            }
            if ((op == 'J' || op == 0x8a) && n > 0 && n < 8 && (data[start + n - 1] & 0x80) != 0) {
                v -= 1L << (8 * n);
            }
            return v;
        }

        /**
         * End offset of the opcode starting at {@code pos}, or -1 for an opcode we do not handle.
         */
        private static int tokenEnd(byte[] d, int pos) {
            int op = d[pos] & 0xff;
            switch (op) {
                case '(':
                case '.':
                case '0':
                case '1':
                case '2':
                case 'N':
                case 0x88:
                case 0x89:
                case ')':
                case 't':
                case 0x85:
                case 0x86:
                case 0x87:
                case ']':
                case 'a':
                case 'e':
                case 'l':
                case '}':
                case 'd':
                case 's':
                case 'u':
                case 'R':
                case 'b':
                case 0x81:
                case 'Q':
                case 0x8f:
                case 0x90:
                case 0x91:
                case 0x92:
                case 0x93:
                    return pos + 1;
                case 'K':
                case 'q':
                case 'h':
                case 0x80:
                    return pos + 2;
                case 'M':
                    return pos + 3;
                case 'J':
                case 'r':
                case 'j':
                    return pos + 5;
                case 'G':
                    return pos + 9;
                case 'U':
                case 0x8c:
                case 'C':
                case 0x8a:
                    return pos + 2 + (d[pos + 1] & 0xff);
                case 'T':
                case 'X':
                case 'B':
                case 0x8b:
                    {
                        long len =
                                (d[pos + 1] & 0xffL)
                                        | (d[pos + 2] & 0xffL) << 8
                                        | (d[pos + 3] & 0xffL) << 16
                                        | (d[pos + 4] & 0xffL) << 24;
                        return (int) (pos + 5 + len);
                    }
                case 'c':
                    {
                        int first = indexOf(d, (byte) '\n', pos + 1);
                        int second = first < 0 ? -1 : indexOf(d, (byte) '\n', first + 1);
                        return second < 0 ? -1 : second + 1;
                    }
                default:
                    return -1;
            }
        }

        private static int indexOf(byte[] d, byte b, int from) {
            for (int i = from; i < d.length; i++) {
                if (d[i] == b) {
                    return i;
                }
            }
            return -1;
        }
    }
}
