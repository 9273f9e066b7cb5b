package io.rayzerocopy.internal.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where the bytes of a tensor to store come from: a buffer (a model in memory), or a byte range of
 * a file (a TorchScript record, a safetensors entry), which is hashed and copied in bounded pieces
 * and never read into memory whole, so a tensor may exceed 2 GB and a model may exceed the heap.
 */
abstract class TensorBytes {
    /** Bytes hashed per read; the only buffer a file range needs. */
    private static final int CHUNK = 1 << 20;

    /** Size in bytes. */
    abstract long size();

    /** Writes the bytes into {@code out} at {@code position}. */
    abstract void copyTo(FileChannel out, long position) throws IOException;

    /**
     * SHA-256 of the bytes. A file range's digest is kept in {@code cacheDir} (when not null) under
     * the file's device and inode, with its size, modification time and the range: the same file
     * unchanged is hashed once per machine, whatever path or symlink it is reached by.
     */
    abstract byte[] sha256(Path cacheDir) throws IOException;

    /** The bytes from a buffer's position to its limit (little-endian, contiguous). */
    static TensorBytes of(ByteBuffer data) {
        return new Buffered(data.duplicate());
    }

    /** {@code length} bytes of {@code file} from {@code offset}. */
    static TensorBytes ofFile(Path file, long offset, long length) {
        return new FileRange(file, offset, length);
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class Buffered extends TensorBytes {
        private final ByteBuffer data;

        Buffered(ByteBuffer data) {
            this.data = data;
        }

        @Override
        long size() {
            return data.remaining();
        }

        @Override
        void copyTo(FileChannel out, long position) throws IOException {
            ByteBuffer buf = data.duplicate();
            long pos = position;
            while (buf.hasRemaining()) {
                pos += out.write(buf, pos);
            }
        }

        @Override
        byte[] sha256(Path cacheDir) {
            MessageDigest md = newDigest();
            md.update(data.duplicate());
            return md.digest();
        }
    }

    private static final class FileRange extends TensorBytes {
        private final Path file;
        private final long offset;
        private final long length;

        FileRange(Path file, long offset, long length) {
            this.file = file;
            this.offset = offset;
            this.length = length;
        }

        @Override
        long size() {
            return length;
        }

        /** Kernel to kernel (sendfile or a mapped window the JDK bounds), no buffer of ours. */
        @Override
        void copyTo(FileChannel out, long position) throws IOException {
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                out.position(position);
                long done = 0;
                while (done < length) {
                    long n = in.transferTo(offset + done, length - done, out);
                    if (n <= 0) {
                        throw truncated(done);
                    }
                    done += n;
                }
            }
        }

        @Override
        byte[] sha256(Path cacheDir) throws IOException {
            if (cacheDir == null) {
                return compute();
            }
            Map<String, Object> a =
                    Files.readAttributes(file, "unix:dev,ino,size,lastModifiedTime");
            Path entry = cacheDir.resolve(a.get("dev") + "-" + a.get("ino"));
            String key =
                    a.get("size")
                            + " "
                            + ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS)
                            + " ";
            String range = offset + " " + length + " ";
            List<String> lines = new ArrayList<>();
            if (Files.isRegularFile(entry)) {
                for (String line : Files.readAllLines(entry)) {
                    if (line.startsWith(key + range)) {
                        return HexFormat.of().parseHex(line.substring((key + range).length()));
                    }
                    if (line.startsWith(key)) {
                        lines.add(line);
                    }
                }
            }
            byte[] digest = compute();
            lines.add(key + range + HexFormat.of().formatHex(digest));
            Files.createDirectories(
                    cacheDir,
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
            Path tmp = Files.createTempFile(cacheDir, ".tmp-", "");
            Files.write(tmp, lines);
            Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE);
            return digest;
        }

        private byte[] compute() throws IOException {
            MessageDigest md = newDigest();
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(1, length)));
                long done = 0;
                while (done < length) {
                    buf.clear();
                    buf.limit((int) Math.min(buf.capacity(), length - done));
                    int n = in.read(buf, offset + done);
                    if (n < 0) {
                        throw truncated(done);
                    }
                    buf.flip();
                    md.update(buf);
                    done += n;
                }
            }
            return md.digest();
        }

        private IOException truncated(long done) {
            return new IOException(
                    file
                            + " ended at byte "
                            + (offset + done)
                            + " while reading a tensor of "
                            + length
                            + " bytes from byte "
                            + offset
                            + ": the file was truncated or changed while it was read");
        }
    }
}
