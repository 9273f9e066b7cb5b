package io.rayzerocopy.internal.model;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code data.pkl} of a TorchScript file, run on a small pickle machine: the module tree as
 * objects, and every tensor in it as a {@link Site} (a {@code torch._utils._rebuild_tensor_v2}
 * call) with the dotted path of the module attributes that lead to it ({@code fc.bias}, {@code
 * bn.running_mean}) and the positions of the integers a skeleton rewrites. Only what TorchScript
 * writes is understood (pickle protocol 2 and the few later opcodes); anything else makes {@link
 * #parse} return {@code null}.
 */
final class TorchScriptPickle {
    // Opcodes, named as in Python's pickletools.
    private static final int MARK = '(';
    private static final int STOP = '.';
    private static final int POP = '0';
    private static final int POP_MARK = '1';
    private static final int DUP = '2';
    private static final int NONE = 'N';
    private static final int NEWTRUE = 0x88;
    private static final int NEWFALSE = 0x89;
    private static final int BININT = 'J';
    private static final int BININT1 = 'K';
    private static final int BININT2 = 'M';
    private static final int LONG1 = 0x8a;
    private static final int LONG4 = 0x8b;
    private static final int BINFLOAT = 'G';
    private static final int SHORT_BINSTRING = 'U';
    private static final int BINSTRING = 'T';
    private static final int SHORT_BINUNICODE = 0x8c;
    private static final int BINUNICODE = 'X';
    private static final int BINUNICODE8 = 0x8d;
    private static final int SHORT_BINBYTES = 'C';
    private static final int BINBYTES = 'B';
    private static final int BINBYTES8 = 0x8e;
    private static final int EMPTY_TUPLE = ')';
    private static final int TUPLE = 't';
    private static final int TUPLE1 = 0x85;
    private static final int TUPLE2 = 0x86;
    private static final int TUPLE3 = 0x87;
    private static final int EMPTY_LIST = ']';
    private static final int APPEND = 'a';
    private static final int APPENDS = 'e';
    private static final int LIST = 'l';
    private static final int EMPTY_DICT = '}';
    private static final int DICT = 'd';
    private static final int SETITEM = 's';
    private static final int SETITEMS = 'u';
    private static final int EMPTY_SET = 0x8f;
    private static final int ADDITEMS = 0x90;
    private static final int FROZENSET = 0x91;
    private static final int GLOBAL = 'c';
    private static final int STACK_GLOBAL = 0x93;
    private static final int REDUCE = 'R';
    private static final int BUILD = 'b';
    private static final int NEWOBJ = 0x81;
    private static final int NEWOBJ_EX = 0x92;
    private static final int BINPERSID = 'Q';
    private static final int PROTO = 0x80;
    private static final int FRAME = 0x95;
    private static final int BINPUT = 'q';
    private static final int LONG_BINPUT = 'r';
    private static final int BINGET = 'h';
    private static final int LONG_BINGET = 'j';
    private static final int MEMOIZE = 0x94;

    private static final String REBUILD_MODULE = "torch._utils";
    private static final String REBUILD_NAME = "_rebuild_tensor_v2";

    /** Bytes per element of each storage type TorchScript writes. */
    private static final Map<String, Integer> ITEM_SIZES =
            Map.of(
                    "FloatStorage", 4,
                    "DoubleStorage", 8,
                    "HalfStorage", 2,
                    "BFloat16Storage", 2,
                    "LongStorage", 8,
                    "IntStorage", 4,
                    "ShortStorage", 2,
                    "CharStorage", 1,
                    "ByteStorage", 1,
                    "BoolStorage", 1);

    /** An integer of the pickle and the bytes of its opcode, so that it can be rewritten. */
    private record Int(long value, int start, int end) {}

    private record Global(String module, String name) {}

    private record Tuple(List<Object> items) {}

    private record Persistent(Object id) {}

    private static final Object MARK_OBJECT = new Object();

    /** A mutable list (also a set). */
    private static final class PList {
        final List<Object> items = new ArrayList<>();
    }

    /** A mutable dict, in insertion order. */
    private static final class PDict {
        final List<Object> keys = new ArrayList<>();
        final List<Object> values = new ArrayList<>();
    }

    /** An object built by NEWOBJ or REDUCE, with the state BUILD gave it. */
    private static final class PObject {
        final Object callable;
        final Object args;
        Object state;
        Site site;

        PObject(Object callable, Object args) {
            this.callable = callable;
            this.args = args;
        }
    }

    /** One tensor: a {@code _rebuild_tensor_v2(storage, offset, size, stride, ...)} call. */
    static final class Site {
        private final String key;
        private final String storageType;
        private final Int numel;
        private final long offset;
        private final List<Int> sizes;
        private final List<Int> strides;
        private final List<String> paths = new ArrayList<>();

        private Site(
                String key,
                String storageType,
                Int numel,
                long offset,
                List<Int> sizes,
                List<Int> strides) {
            this.key = key;
            this.storageType = storageType;
            this.numel = numel;
            this.offset = offset;
            this.sizes = sizes;
            this.strides = strides;
        }

        /** The storage's record name under {@code data/}. */
        String key() {
            return key;
        }

        /** The storage type, e.g. {@code FloatStorage}. */
        String storageType() {
            return storageType;
        }

        /** Bytes per element, or 0 for a storage type we do not know. */
        int itemSize() {
            return ITEM_SIZES.getOrDefault(storageType, 0);
        }

        /** Offset of the tensor's first element in its storage, in elements. */
        long offset() {
            return offset;
        }

        /**
         * Whether the tensor's elements are one row-major run of its storage (parameters are), so
         * its bytes are {@link #byteLength()} bytes from {@link #byteOffset()} of the record.
         */
        boolean contiguous() {
            long count = 1;
            for (int d = sizes.size() - 1; d >= 0; d--) {
                long size = sizes.get(d).value();
                if (size != 1 && strides.get(d).value() != count) {
                    return false;
                }
                count *= size;
            }
            return true;
        }

        /** Where the tensor's first element lies in its storage record, in bytes. */
        long byteOffset() {
            return offset * itemSize();
        }

        /** The tensor's size in bytes (0 for a storage type we do not know). */
        long byteLength() {
            return contentsSize();
        }

        /** The tensor's sizes. */
        List<Long> sizes() {
            return sizes.stream().map(Int::value).toList();
        }

        /**
         * The dotted attribute paths that lead from the root module to this tensor, e.g. {@code
         * fc.bias}; several if one tensor is shared, none if it is not a module attribute.
         */
        List<String> paths() {
            return Collections.unmodifiableList(paths);
        }

        /** The tensor's path for messages: its first path, or "?" if it has none. */
        String name() {
            return paths.isEmpty() ? "?" : paths.get(0);
        }

        /**
         * The tensor's elements in row-major order, from its storage's bytes through its offset and
         * strides: a view of the storage when the tensor is contiguous (parameters are), else a
         * gathered copy; {@code null} if they do not fit the storage.
         */
        ByteBuffer contents(byte[] storage) {
            int item = itemSize();
            if (item == 0 || storage == null) {
                return null;
            }
            int rank = sizes.size();
            long count = 1;
            boolean contiguous = true;
            for (int d = rank - 1; d >= 0; d--) {
                long size = sizes.get(d).value();
                contiguous &= size == 1 || strides.get(d).value() == count;
                count *= size;
            }
            if (count * item > Integer.MAX_VALUE) {
                return null;
            }
            if (contiguous) {
                long start = offset * item;
                long end = start + count * item;
                return start < 0 || end > storage.length
                        ? null
                        : ByteBuffer.wrap(storage, (int) start, (int) (count * item)).slice();
            }
            byte[] out = new byte[(int) (count * item)];
            long[] index = new long[rank];
            for (long n = 0; n < count; n++) {
                long element = offset;
                for (int d = 0; d < rank; d++) {
                    element += index[d] * strides.get(d).value();
                }
                long at = element * item;
                if (at < 0 || at + item > storage.length) {
                    return null;
                }
                System.arraycopy(storage, (int) at, out, (int) (n * item), item);
                for (int d = rank - 1; d >= 0; d--) {
                    if (++index[d] < sizes.get(d).value()) {
                        break;
                    }
                    index[d] = 0;
                }
            }
            return ByteBuffer.wrap(out);
        }

        @Override
        public String toString() {
            return name()
                    + " "
                    + storageType.replace("Storage", "")
                    + sizes()
                    + " "
                    + (itemSize() == 0 ? "?" : Long.toString(contentsSize()))
                    + " bytes";
        }

        private long contentsSize() {
            long count = itemSize();
            for (Int s : sizes) {
                count *= s.value();
            }
            return count;
        }
    }

    private final byte[] data;
    private final List<Site> sites;

    private TorchScriptPickle(byte[] data, List<Site> sites) {
        this.data = data;
        this.sites = sites;
    }

    /** Every tensor of the pickle, in the order they appear. */
    List<Site> sites() {
        return sites;
    }

    /**
     * Runs the pickle; {@code null} if it holds an opcode or structure TorchScript does not write.
     */
    static TorchScriptPickle parse(byte[] data) {
        try {
            Machine machine = new Machine(data);
            Object root = machine.run();
            walk(root, "", Collections.newSetFromMap(new IdentityHashMap<>()));
            return new TorchScriptPickle(data, machine.sites);
        } catch (RuntimeException unexpected) {
            return null;
        }
    }

    /** Records the attribute path of every tensor reachable from {@code value} through modules. */
    private static void walk(Object value, String path, Set<PObject> seen) {
        if (!(value instanceof PObject object)) {
            return;
        }
        if (object.site != null) {
            object.site.paths.add(path);
            return;
        }
        if (!seen.add(object) || !(object.state instanceof PDict state)) {
            return;
        }
        for (int i = 0; i < state.keys.size(); i++) {
            if (state.keys.get(i) instanceof String key) {
                walk(state.values.get(i), path.isEmpty() ? key : path + "." + key, seen);
            }
        }
    }

    /**
     * The pickle with the storages in {@code numel} cut to that many elements, and every tensor on
     * them given stride 0 (each is then an expand of its first element).
     */
    byte[] cut(Map<String, Integer> numel) {
        Map<Integer, byte[]> replace = new TreeMap<>();
        Map<Integer, Integer> ends = new HashMap<>();
        for (Site site : sites) {
            Integer n = numel.get(site.key);
            if (n == null) {
                continue;
            }
            replace.put(site.numel.start(), encodeInt(n));
            ends.put(site.numel.start(), site.numel.end());
            for (Int stride : site.strides) {
                replace.put(stride.start(), encodeInt(0));
                ends.put(stride.start(), stride.end());
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length);
        int pos = 0;
        for (Map.Entry<Integer, byte[]> r : replace.entrySet()) {
            out.write(data, pos, r.getKey() - pos);
            out.write(r.getValue(), 0, r.getValue().length);
            pos = ends.get(r.getKey());
        }
        out.write(data, pos, data.length - pos);
        return out.toByteArray();
    }

    private static byte[] encodeInt(int v) {
        if (v < 256) {
            return new byte[] {(byte) BININT1, (byte) v};
        }
        if (v < 65536) {
            return new byte[] {(byte) BININT2, (byte) v, (byte) (v >> 8)};
        }
        return new byte[] {
            (byte) BININT, (byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)
        };
    }

    /** The pickle machine: a stack, a memo, and the tensor sites met on the way. */
    private static final class Machine {
        private final byte[] d;
        private final List<Object> stack = new ArrayList<>();
        private final Map<Long, Object> memo = new HashMap<>();
        private final List<Site> sites = new ArrayList<>();
        private int pos;

        Machine(byte[] data) {
            this.d = data;
        }

        Object run() {
            while (true) {
                int start = pos;
                int op = u8();
                switch (op) {
                    case PROTO -> pos += 1;
                    case FRAME -> pos += 8;
                    case MARK -> push(MARK_OBJECT);
                    case STOP -> {
                        return pop();
                    }
                    case POP -> pop();
                    case POP_MARK -> popToMark();
                    case DUP -> push(top());
                    case NONE -> push(null);
                    case NEWTRUE -> push(Boolean.TRUE);
                    case NEWFALSE -> push(Boolean.FALSE);
                    case BININT1 -> push(new Int(u8(), start, pos));
                    case BININT2 -> push(new Int(le(2), start, pos));
                    case BININT -> push(new Int((int) le(4), start, pos));
                    case LONG1 -> push(new Int(signedLe(u8()), start, pos));
                    case LONG4 -> push(new Int(signedLe((int) le(4)), start, pos));
                    case BINFLOAT -> {
                        push(ByteBuffer.wrap(d, pos, 8).getDouble());
                        pos += 8;
                    }
                    case SHORT_BINSTRING -> push(text(u8(), StandardCharsets.ISO_8859_1));
                    case BINSTRING -> push(text(length(4), StandardCharsets.ISO_8859_1));
                    case SHORT_BINUNICODE -> push(text(u8(), StandardCharsets.UTF_8));
                    case BINUNICODE -> push(text(length(4), StandardCharsets.UTF_8));
                    case BINUNICODE8 -> push(text(length(8), StandardCharsets.UTF_8));
                    case SHORT_BINBYTES -> push(bytes(u8()));
                    case BINBYTES -> push(bytes(length(4)));
                    case BINBYTES8 -> push(bytes(length(8)));
                    case EMPTY_TUPLE -> push(new Tuple(List.of()));
                    case TUPLE -> push(new Tuple(popToMark()));
                    case TUPLE1 -> push(new Tuple(popN(1)));
                    case TUPLE2 -> push(new Tuple(popN(2)));
                    case TUPLE3 -> push(new Tuple(popN(3)));
                    case EMPTY_LIST, EMPTY_SET -> push(new PList());
                    case APPEND -> {
                        Object v = pop();
                        ((PList) top()).items.add(v);
                    }
                    case APPENDS, ADDITEMS -> {
                        List<Object> items = popToMark();
                        ((PList) top()).items.addAll(items);
                    }
                    case LIST, FROZENSET -> {
                        PList list = new PList();
                        list.items.addAll(popToMark());
                        push(list);
                    }
                    case EMPTY_DICT -> push(new PDict());
                    case DICT -> {
                        PDict dict = new PDict();
                        putAll(dict, popToMark());
                        push(dict);
                    }
                    case SETITEM -> {
                        Object v = pop();
                        Object k = pop();
                        putAll((PDict) top(), List.of(k, v));
                    }
                    case SETITEMS -> {
                        List<Object> kv = popToMark();
                        putAll((PDict) top(), kv);
                    }
                    case GLOBAL -> push(new Global(line(), line()));
                    case STACK_GLOBAL -> {
                        String name = (String) pop();
                        push(new Global((String) pop(), name));
                    }
                    case REDUCE -> {
                        Object args = pop();
                        push(call(pop(), args));
                    }
                    case NEWOBJ -> {
                        Object args = pop();
                        push(new PObject(pop(), args));
                    }
                    case NEWOBJ_EX -> {
                        pop();
                        Object args = pop();
                        push(new PObject(pop(), args));
                    }
                    case BUILD -> {
                        Object state = pop();
                        ((PObject) top()).state = state;
                    }
                    case BINPERSID -> push(new Persistent(pop()));
                    case BINPUT -> memo.put((long) u8(), top());
                    case LONG_BINPUT -> memo.put(le(4), top());
                    case MEMOIZE -> memo.put((long) memo.size(), top());
                    case BINGET -> push(recall(u8()));
                    case LONG_BINGET -> push(recall(le(4)));
                    default -> throw new IllegalArgumentException("pickle opcode " + op);
                }
            }
        }

        /** A REDUCE: a tensor rebuild becomes a site; any other call an opaque object. */
        private PObject call(Object callable, Object args) {
            PObject object = new PObject(callable, args);
            if (callable instanceof Global g
                    && g.module().equals(REBUILD_MODULE)
                    && g.name().equals(REBUILD_NAME)) {
                object.site = site((Tuple) args);
                sites.add(object.site);
            }
            return object;
        }

        /** (Persistent(('storage', type, key, location, numel)), offset, size, stride, ...). */
        private static Site site(Tuple args) {
            List<Object> a = args.items();
            Tuple storage = (Tuple) ((Persistent) a.get(0)).id();
            List<Object> s = storage.items();
            if (!"storage".equals(s.get(0))) {
                throw new IllegalArgumentException("persistent id " + s.get(0));
            }
            return new Site(
                    (String) s.get(2),
                    ((Global) s.get(1)).name(),
                    (Int) s.get(4),
                    ((Int) a.get(1)).value(),
                    ints((Tuple) a.get(2)),
                    ints((Tuple) a.get(3)));
        }

        private static List<Int> ints(Tuple t) {
            List<Int> out = new ArrayList<>();
            for (Object o : t.items()) {
                out.add((Int) o);
            }
            return out;
        }

        private static void putAll(PDict dict, List<Object> kv) {
            for (int i = 0; i + 1 < kv.size(); i += 2) {
                dict.keys.add(kv.get(i));
                dict.values.add(kv.get(i + 1));
            }
        }

        private Object recall(long index) {
            if (!memo.containsKey(index)) {
                throw new IllegalArgumentException("memo " + index + " read before written");
            }
            return memo.get(index);
        }

        private void push(Object o) {
            stack.add(o);
        }

        private Object pop() {
            return stack.remove(stack.size() - 1);
        }

        private Object top() {
            return stack.get(stack.size() - 1);
        }

        private List<Object> popN(int n) {
            List<Object> sub = stack.subList(stack.size() - n, stack.size());
            List<Object> out = Collections.unmodifiableList(new ArrayList<>(sub));
            sub.clear();
            return out;
        }

        private List<Object> popToMark() {
            int mark = stack.lastIndexOf(MARK_OBJECT);
            if (mark < 0) {
                throw new IllegalArgumentException("no mark on the stack");
            }
            List<Object> out = popN(stack.size() - mark - 1);
            pop();
            return out;
        }

        private int u8() {
            return d[pos++] & 0xff;
        }

        private long le(int n) {
            long v = 0;
            for (int i = n - 1; i >= 0; i--) {
                v = (v << 8) | (d[pos + i] & 0xff);
            }
            pos += n;
            return v;
        }

        /** A little-endian two's complement integer of {@code n} bytes (LONG1/LONG4). */
        private long signedLe(int n) {
            if (n > 8) {
                throw new IllegalArgumentException("integer of " + n + " bytes");
            }
            long v = n == 0 ? 0 : le(n);
            if (n > 0 && n < 8 && (v & (1L << (8 * n - 1))) != 0) {
                v -= 1L << (8 * n);
            }
            return v;
        }

        private int length(int n) {
            long len = le(n);
            if (len < 0 || len > d.length - pos) {
                throw new IllegalArgumentException("length " + len + " past the end");
            }
            return (int) len;
        }

        private String text(int len, Charset charset) {
            String s = new String(d, pos, len, charset);
            pos += len;
            return s;
        }

        private byte[] bytes(int len) {
            byte[] b = new byte[len];
            System.arraycopy(d, pos, b, 0, len);
            pos += len;
            return b;
        }

        private String line() {
            int end = pos;
            while (d[end] != '\n') {
                end++;
            }
            String s = new String(d, pos, end - pos, StandardCharsets.UTF_8);
            pos = end + 1;
            return s;
        }
    }

    /** Storage keys of the sites, each with its sites, in order of first appearance. */
    Map<String, List<Site>> byStorage() {
        Map<String, List<Site>> out = new LinkedHashMap<>();
        for (Site s : sites) {
            out.computeIfAbsent(s.key, k -> new ArrayList<>()).add(s);
        }
        return out;
    }
}
