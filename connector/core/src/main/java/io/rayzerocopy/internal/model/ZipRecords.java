package io.rayzerocopy.internal.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * The records of a zip archive (a TorchScript file), found through its central directory, ZIP64
 * included: where each record's bytes lie in the file, without reading them. A TorchScript writer
 * stores every record uncompressed, so a tensor's bytes are a plain byte range of the file that can
 * be copied straight into a store. Nothing here holds more than the central directory and the
 * records asked for.
 */
final class ZipRecords {
    private static final int EOCD = 0x06054b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_EOCD = 0x06064b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int LOCAL = 0x04034b50;
    private static final long MAX_CENTRAL_DIRECTORY = 256L << 20;

    /** End record (22 bytes) plus the longest comment. */
    private static final int MAX_TAIL = 22 + 0xffff;

    static final int STORED = 0;
    static final int DEFLATED = 8;

    /** One record: its name, compression method, sizes, and where its bytes start in the file. */
    record Record(String name, int method, long compressedSize, long size, long dataOffset) {}

    private final Path file;
    private final long fileSize;
    private final Map<String, Record> records;

    private ZipRecords(Path file, long fileSize, Map<String, Record> records) {
        this.file = file;
        this.fileSize = fileSize;
        this.records = records;
    }

    /**
     * Reads the central directory of {@code file}.
     *
     * @throws IOException naming the file and its size if it is not a complete zip archive
     *     (truncated, or not a zip), or a record runs past the end of the file
     */
    static ZipRecords open(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            int tailLength = (int) Math.min(size, MAX_TAIL);
            ByteBuffer tail = read(ch, size - tailLength, tailLength, file);
            int eocd = -1;
            for (int i = tailLength - 22; i >= 0; i--) {
                if (tail.getInt(i) == EOCD) {
                    eocd = i;
                    break;
                }
            }
            if (eocd < 0) {
                throw new IOException(
                        file
                                + " ("
                                + size
                                + " bytes) is not a complete TorchScript archive: it has no zip"
                                + " end record, so it is truncated or not a zip file; save the"
                                + " model again (torch.jit.save)");
            }
            long entries = tail.getShort(eocd + 10) & 0xffffL;
            long cdSize = tail.getInt(eocd + 12) & 0xffffffffL;
            long cdOffset = tail.getInt(eocd + 16) & 0xffffffffL;
            long eocdAt = size - tailLength + eocd;
            if (entries == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) {
                long[] z = zip64(ch, eocdAt, file, size);
                entries = z[0];
                cdSize = z[1];
                cdOffset = z[2];
            }
            if (cdOffset + cdSize > eocdAt || cdSize > MAX_CENTRAL_DIRECTORY) {
                throw new IOException(
                        file
                                + " ("
                                + size
                                + " bytes) has a zip directory of "
                                + cdSize
                                + " bytes at byte "
                                + cdOffset
                                + " that does not fit the file: it is truncated or corrupt");
            }
            ByteBuffer cd = read(ch, cdOffset, (int) cdSize, file);
            return new ZipRecords(file, size, central(ch, cd, entries, file, size));
        }
    }

    /** {entries, directory size, directory offset} from the ZIP64 end records. */
    private static long[] zip64(FileChannel ch, long eocdAt, Path file, long size)
            throws IOException {
        if (eocdAt < 20) {
            throw corrupt(file, size, "no ZIP64 locator");
        }
        ByteBuffer locator = read(ch, eocdAt - 20, 20, file);
        if (locator.getInt(0) != ZIP64_LOCATOR) {
            throw corrupt(file, size, "no ZIP64 locator");
        }
        long at = locator.getLong(8);
        if (at < 0 || at + 56 > eocdAt) {
            throw corrupt(file, size, "ZIP64 end record at byte " + at);
        }
        ByteBuffer end = read(ch, at, 56, file);
        if (end.getInt(0) != ZIP64_EOCD) {
            throw corrupt(file, size, "no ZIP64 end record at byte " + at);
        }
        return new long[] {end.getLong(32), end.getLong(40), end.getLong(48)};
    }

    private static Map<String, Record> central(
            FileChannel ch, ByteBuffer cd, long entries, Path file, long size) throws IOException {
        Map<String, Record> out = new LinkedHashMap<>();
        int p = 0;
        for (long n = 0; n < entries; n++) {
            if (p + 46 > cd.limit() || cd.getInt(p) != CENTRAL) {
                throw corrupt(file, size, "zip directory entry " + n + " is damaged");
            }
            int method = cd.getShort(p + 10) & 0xffff;
            long compressed = cd.getInt(p + 20) & 0xffffffffL;
            long plain = cd.getInt(p + 24) & 0xffffffffL;
            int nameLength = cd.getShort(p + 28) & 0xffff;
            int extraLength = cd.getShort(p + 30) & 0xffff;
            int commentLength = cd.getShort(p + 32) & 0xffff;
            long local = cd.getInt(p + 42) & 0xffffffffL;
            byte[] nameBytes = new byte[nameLength];
            cd.get(p + 46, nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);
            long[] sizes = {plain, compressed, local};
            zip64Extra(cd, p + 46 + nameLength, extraLength, sizes);
            long dataOffset = dataOffset(ch, sizes[2], file, size, name);
            if (dataOffset + sizes[1] > size) {
                throw new IOException(
                        file
                                + " ("
                                + size
                                + " bytes) is truncated: record '"
                                + name
                                + "' needs bytes "
                                + dataOffset
                                + " to "
                                + (dataOffset + sizes[1])
                                + "; save the model again");
            }
            out.put(name, new Record(name, method, sizes[1], sizes[0], dataOffset));
            p += 46 + nameLength + extraLength + commentLength;
        }
        return out;
    }

    /** Replaces the 32-bit fields that say "see ZIP64" by the values of the ZIP64 extra field. */
    private static void zip64Extra(ByteBuffer cd, int start, int length, long[] sizes) {
        int p = start;
        while (p + 4 <= start + length) {
            int id = cd.getShort(p) & 0xffff;
            int size = cd.getShort(p + 2) & 0xffff;
            if (id == 1) {
                int q = p + 4;
                for (int i = 0; i < sizes.length && q + 8 <= p + 4 + size; i++) {
                    if (sizes[i] == 0xffffffffL) {
                        sizes[i] = cd.getLong(q);
                        q += 8;
                    }
                }
                return;
            }
            p += 4 + size;
        }
    }

    private static long dataOffset(FileChannel ch, long local, Path file, long size, String name)
            throws IOException {
        if (local < 0 || local + 30 > size) {
            throw corrupt(file, size, "record '" + name + "' starts past the end of the file");
        }
        ByteBuffer header = read(ch, local, 30, file);
        if (header.getInt(0) != LOCAL) {
            throw corrupt(file, size, "record '" + name + "' has no local header");
        }
        return local + 30 + (header.getShort(26) & 0xffff) + (header.getShort(28) & 0xffff);
    }

    private static IOException corrupt(Path file, long size, String what) {
        return new IOException(
                file + " (" + size + " bytes) is not a valid TorchScript archive: " + what);
    }

    private static ByteBuffer read(FileChannel ch, long position, int length, Path file)
            throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            if (ch.read(buf, position + buf.position()) < 0) {
                throw new IOException(file + " ended at byte " + (position + buf.position()));
            }
        }
        return buf.flip();
    }

    /** The file. */
    Path file() {
        return file;
    }

    /** The file's size in bytes. */
    long fileSize() {
        return fileSize;
    }

    /** Every record by name, in the order of the central directory. */
    Map<String, Record> records() {
        return Collections.unmodifiableMap(records);
    }

    /** The record's bytes (stored or deflated); only for small records (code, pickles, buffers). */
    byte[] bytes(Record r) throws IOException {
        return prefix(r, r.size());
    }

    /** The first {@code length} bytes of the record (of its uncompressed contents). */
    byte[] prefix(Record r, long length) throws IOException {
        long n = Math.min(length, r.size());
        if (n > Integer.MAX_VALUE - 8) {
            throw new IOException(
                    file
                            + ": record '"
                            + r.name()
                            + "' ("
                            + r.size()
                            + " bytes) is too large to read");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (r.method() == STORED) {
                byte[] out = new byte[(int) n];
                ByteBuffer buf = ByteBuffer.wrap(out);
                while (buf.hasRemaining()) {
                    if (ch.read(buf, r.dataOffset() + buf.position()) < 0) {
                        throw new IOException(file + " ended inside record '" + r.name() + "'");
                    }
                }
                return out;
            }
            if (r.method() != DEFLATED) {
                throw new IOException(
                        file + ": record '" + r.name() + "' uses zip method " + r.method());
            }
            ch.position(r.dataOffset());
            Inflater inflater = new Inflater(true);
            try (InputStream in =
                    new InflaterInputStream(Channels.newInputStream(ch), inflater, 1 << 16)) {
                return in.readNBytes((int) n);
            } finally {
                inflater.end();
            }
        }
    }
}
