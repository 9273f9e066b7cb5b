package io.rayzerocopy.internal.storage;

import io.rayzerocopy.internal.model.FileLocks;

import org.apache.hadoop.fs.FileChecksum;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Model files on a Hadoop file system ({@code hdfs://}, {@code s3a://}), fetched once per machine.
 * A remote file is known by its identity: its URI without credentials, length, modification time
 * and, where the file system offers one, its checksum. Under the store root, {@code .remote/}
 * records which store each identity (and each fetched content's SHA-256) became; while that store
 * is on this machine, no byte of the file is read again. One process fetches a given identity at a
 * time (a lock file there, and a lock per identity within the JVM): concurrent jobs wait, then use
 * its store.
 */
public final class RemoteModels {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteModels.class);
    private static final String DIR = ".remote";
    private static final String RECORD = ".record";
    private static final Map<String, ReentrantLock> IN_JVM = new ConcurrentHashMap<>();

    private RemoteModels() {}

    /**
     * Checks that {@code uri} names a file.
     *
     * @throws IllegalArgumentException if it does not exist or is a directory, naming the URI
     * @throws UncheckedIOException if the file system cannot be reached
     */
    public static void requireFile(String uri) {
        status(uri);
    }

    /**
     * Takes this machine's turn to use the model at {@code uri} (with {@code weightsUri}, or null):
     * waits while another process or thread fetches it. Close the turn to let the next one go.
     *
     * @param storeRoot the weight store root where records are kept
     */
    public static Turn take(Path storeRoot, String uri, String weightsUri) {
        String identity = identity(uri, weightsUri);
        Path dir = storeRoot.resolve(DIR);
        byte[] hash = FetchedFile.sha256Digest().digest(identity.getBytes(StandardCharsets.UTF_8));
        String name = hex(hash).substring(0, 32);
        ReentrantLock inJvm = IN_JVM.computeIfAbsent(name, n -> new ReentrantLock());
        inJvm.lock();
        try {
            Files.createDirectories(
                    dir,
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
            FileChannel channel =
                    FileChannel.open(
                            dir.resolve(name + ".lock"),
                            StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE);
            try {
                FileLock lock = FileLocks.lock(channel);
                return new Turn(uri, weightsUri, identity, dir, name, inJvm, channel, lock);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        } catch (IOException e) {
            inJvm.unlock();
            throw new UncheckedIOException(
                    "cannot lock the record of " + Storage.mask(uri) + " under " + dir + ": " + e,
                    e);
        } catch (RuntimeException e) {
            inJvm.unlock();
            throw e;
        }
    }

    /** What a fetch of an identity became: its content's SHA-256, store and checked methods. */
    public record Record(String sha256, String storeId, List<String> methods) {}

    /**
     * One process's turn with a remote model: what is recorded for it, fetching it, and recording
     * what it became. {@link #close()} deletes the fetched copies and ends the turn.
     */
    public static final class Turn implements AutoCloseable {
        private final String uri;
        private final String weightsUri;
        private final String identity;
        private final Path dir;
        private final String name;
        private final ReentrantLock inJvm;
        private final FileChannel channel;
        private final FileLock lock;
        private final List<FetchedFile> fetched = new ArrayList<>();

        private Turn(
                String uri,
                String weightsUri,
                String identity,
                Path dir,
                String name,
                ReentrantLock inJvm,
                FileChannel channel,
                FileLock lock) {
            this.uri = uri;
            this.weightsUri = weightsUri;
            this.identity = identity;
            this.dir = dir;
            this.name = name;
            this.inJvm = inJvm;
            this.channel = channel;
            this.lock = lock;
        }

        /** What an earlier fetch of this identity became, if recorded. */
        public Optional<Record> recorded() {
            return read(dir.resolve(name + RECORD))
                    .filter(r -> identity.equals(r.identity))
                    .map(r -> r.x);
        }

        /**
         * What an earlier fetch of the same content (by any identity) became: a file written again
         * unchanged, or the same model at another URI.
         */
        public List<Record> sameContent(String sha256) {
            List<Record> found = new ArrayList<>();
            // Never opens a lock file: closing any descriptor of it drops this process's lock.
            try (DirectoryStream<Path> records = Files.newDirectoryStream(dir, "*" + RECORD)) {
                for (Path record : records) {
                    read(record)
                            .filter(r -> sha256.equals(r.x.sha256()))
                            .ifPresent(r -> found.add(r.x));
                }
            } catch (IOException e) {
                LOG.debug("cannot list {}: {}", dir, e.toString());
            }
            return found;
        }

        /**
         * Fetches the model file (and the weights) to local temporary copies, hashing them as they
         * stream by; {@link #deleteCopies()} or {@link #close()} deletes them.
         *
         * @return the local model file, then the local weights if any
         */
        public List<Path> fetch() {
            fetched.add(FetchedFile.fetch(uri));
            if (weightsUri != null) {
                fetched.add(FetchedFile.fetch(weightsUri));
            }
            return fetched.stream().map(FetchedFile::path).toList();
        }

        /** The SHA-256 of what {@link #fetch()} read (model, then weights), joined by commas. */
        public String fetchedSha256() {
            return String.join(",", fetched.stream().map(FetchedFile::sha256).toList());
        }

        /** Deletes the fetched copies (once their store is written). */
        public void deleteCopies() {
            fetched.forEach(FetchedFile::close);
            fetched.clear();
        }

        /**
         * Records what this identity became, unless the remote file changed while it was fetched
         * (then the next job fetches it again).
         */
        public void record(Record record) {
            if (!identity(uri, weightsUri).equals(identity)) {
                LOG.info("{} changed while it was fetched; not recording it", Storage.mask(uri));
                return;
            }
            List<String> lines =
                    List.of(
                            identity,
                            record.sha256(),
                            record.storeId(),
                            String.join(",", record.methods()));
            try {
                Path tmp = Files.createTempFile(dir, ".tmp-", "");
                Files.write(tmp, lines);
                Files.move(tmp, dir.resolve(name + RECORD), StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                LOG.warn("cannot record {} under {}: {}", Storage.mask(uri), dir, e.toString());
            }
        }

        @Override
        public void close() {
            deleteCopies();
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                LOG.debug("cannot release {}: {}", dir.resolve(name + ".lock"), e.toString());
            } finally {
                inJvm.unlock();
            }
        }
    }

    private record Read(String identity, Record x) {}

    private static Optional<Read> read(Path record) {
        try {
            List<String> lines = Files.readAllLines(record);
            if (lines.size() != 4) {
                return Optional.empty();
            }
            List<String> methods = List.of(lines.get(3).split(","));
            return Optional.of(
                    new Read(lines.get(0), new Record(lines.get(1), lines.get(2), methods)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String identity(String uri, String weightsUri) {
        return identity(uri) + (weightsUri == null ? "" : " + " + identity(weightsUri));
    }

    /** URI without credentials, length, modification time, and the checksum if there is one. */
    private static String identity(String uri) {
        FileStatus status = status(uri);
        String checksum = "-";
        try {
            FileChecksum sum = Storage.fileSystem(uri).getFileChecksum(status.getPath());
            if (sum != null) {
                checksum = sum.getAlgorithmName() + ":" + hex(sum.getBytes());
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("no checksum of {}: {}", Storage.mask(uri), e.toString());
        }
        return Storage.mask(uri)
                + " "
                + status.getLen()
                + " "
                + status.getModificationTime()
                + " "
                + checksum;
    }

    private static FileStatus status(String uri) {
        FileSystem fs = Storage.fileSystem(uri);
        FileStatus status;
        try {
            status = fs.getFileStatus(Storage.hadoopPath(uri));
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException(
                    Storage.mask(uri) + " does not exist; name a file on that file system", e);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read " + Storage.mask(uri) + ": " + Storage.describe(e), e);
        }
        if (!status.isFile()) {
            throw new IllegalArgumentException(
                    Storage.mask(uri) + " is a directory; name the model file in it");
        }
        return status;
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
