package io.rayzerocopy.internal.exec;

import io.rayzerocopy.internal.model.CacheDirs;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/**
 * A class-data-sharing archive of the classes a worker JVM loads (JDK 17 dynamic AppCDS), built at
 * first use: the first worker on a classpath without an archive writes one when it exits ({@code
 * -XX:ArchiveClassesAtExit}), later workers map it ({@code -XX:SharedArchiveFile}), read-only and
 * at its recorded address, so its pages are shared by every worker instead of each parsing and
 * verifying the same classes into private memory. Measured here: about 20 MB less PSS per worker
 * and a faster start.
 *
 * <p>The archive lives in {@code -Drzc.cds.dir} (default {@code cds} in the user's cache
 * directory, {@link CacheDirs}), named
 * by a hash of the JVM and of every classpath entry's path, size and time, so a rebuilt jar gets a
 * new archive (the last one replaces the others). The JDK archives classes from jars only: with a
 * non-empty directory on the classpath (a build's {@code target/classes}) there is no archive.
 * {@code -Drzc.cds=false} turns it off. A damaged or stale archive is ignored by the JVM ({@code
 * -Xshare:auto}), silently.
 */
final class WorkerClassArchive {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerClassArchive.class);

    /** How old a claim to write the archive may get before another worker writes it instead. */
    private static final Duration STALE = Duration.ofMinutes(10);

    private final Path archive;

    private WorkerClassArchive(Path archive) {
        this.archive = archive;
    }

    /** The archive of workers started with {@code classpath}, or {@code null} where none can be. */
    static WorkerClassArchive forClasspath(String classpath) {
        if (!Boolean.parseBoolean(System.getProperty("rzc.cds", "true"))) {
            return null;
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(
                    (System.getProperty("java.home") + "\n" + System.getProperty("java.vm.version"))
                            .getBytes(StandardCharsets.UTF_8));
            for (String entry : classpath.split(java.io.File.pathSeparator)) {
                if (entry.isEmpty()) {
                    continue;
                }
                Path p = Paths.get(entry);
                if (Files.isDirectory(p)) {
                    try (DirectoryStream<Path> children = Files.newDirectoryStream(p)) {
                        if (children.iterator().hasNext()) {
                            return null;
                        }
                    }
                }
                long size = Files.exists(p) ? Files.size(p) : -1;
                long time = Files.exists(p) ? Files.getLastModifiedTime(p).toMillis() : -1;
                sha.update(
                        (entry + "\n" + size + "\n" + time + "\n")
                                .getBytes(StandardCharsets.UTF_8));
            }
            String key = HexFormat.of().formatHex(sha.digest()).substring(0, 16);
            return new WorkerClassArchive(directory().resolve("worker-" + key + ".jsa"));
        } catch (IOException | NoSuchAlgorithmException | RuntimeException e) {
            LOG.debug("no class-data archive for worker JVMs: {}", e.toString());
            return null;
        }
    }

    private static Path directory() {
        String configured = System.getProperty("rzc.cds.dir");
        return configured != null
                ? Paths.get(configured)
                : CacheDirs.of("cds");
    }

    /**
     * The JVM options of one more worker: map the archive if it exists; otherwise, if no other
     * worker is writing it, write it at exit into {@code dumpTo}'s path (then {@link #commit} it);
     * otherwise none.
     */
    List<String> options(Path[] dumpTo) {
        if (!Files.isRegularFile(archive)) {
            adoptLeftovers();
        }
        if (Files.isRegularFile(archive)) {
            return List.of(
                    "-XX:SharedArchiveFile=" + archive,
                    "-Xshare:auto",
                    "-Xlog:cds=off,cds+dynamic=off",
                    "-XX:+UnlockDiagnosticVMOptions",
                    "-XX:ArchiveRelocationMode=0");
        }
        if (!claim()) {
            return List.of();
        }
        Path tmp =
                archive.resolveSibling(
                        archive.getFileName()
                                + ".tmp-"
                                + ProcessHandle.current().pid()
                                + "-"
                                + System.nanoTime());
        dumpTo[0] = tmp;
        return List.of("-XX:ArchiveClassesAtExit=" + tmp, "-Xlog:cds=off,cds+dynamic=off");
    }

    /**
     * Puts the archive a worker wrote at exit in place, for the workers that come after it, if the
     * worker exited by itself ({@code exitCode} 0, or 3 when its driver went first): a killed one
     * may have left it half-written.
     */
    void commit(Path written, int exitCode) {
        try {
            if ((exitCode == 0 || exitCode == 3)
                    && Files.isRegularFile(written)
                    && whole(written)) {
                Files.move(written, archive, StandardCopyOption.ATOMIC_MOVE);
                LOG.debug("worker class-data archive written: {}", archive);
                removeOthers();
            } else {
                Files.deleteIfExists(written);
            }
        } catch (IOException e) {
            LOG.debug("cannot keep worker class-data archive {}: {}", written, e.toString());
        } finally {
            try {
                Files.deleteIfExists(lock());
            } catch (IOException ignored) {
                // a stale claim expires
            }
        }
    }

    private Path lock() {
        return archive.resolveSibling(archive.getFileName() + ".lock");
    }

    /** Claims the writing of the archive for one worker of this machine. */
    private boolean claim() {
        try {
            Files.createDirectories(archive.getParent());
            Path lock = lock();
            try {
                Files.createFile(lock);
                return true;
            } catch (FileAlreadyExistsException taken) {
                FileTime since = Files.getLastModifiedTime(lock);
                if (since.toInstant().isBefore(Instant.now().minus(STALE))) {
                    Files.deleteIfExists(lock);
                    Files.createFile(lock);
                    return true;
                }
                return false;
            }
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A worker writes its archive when it exits, often after its driver has ended (a command-line
     * job ends at once), so nobody saw it finish: an archive written more than half a minute ago is
     * put in place here if it is whole (the JDK writes an archive's header, with its magic number,
     * last), else deleted.
     */
    private void adoptLeftovers() {
        if (!Files.isDirectory(archive.getParent())) {
            return;
        }
        try (DirectoryStream<Path> tmps =
                Files.newDirectoryStream(archive.getParent(), archive.getFileName() + ".tmp-*")) {
            for (Path tmp : tmps) {
                if (Files.getLastModifiedTime(tmp)
                        .toInstant()
                        .isBefore(Instant.now().minus(Duration.ofSeconds(30)))) {
                    commit(tmp, 0);
                }
            }
        } catch (IOException ignored) {
            // nothing to adopt
        }
    }

    /** Whether {@code file} starts as a dynamic CDS archive does (magic 0xf00baba8). */
    private static boolean whole(Path file) throws IOException {
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(head, 0, 4) < 4) {
                return false;
            }
        }
        int magic = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt();
        return magic == 0xf00baba8;
    }

    /** Archives of other classpaths (older builds), and their claims: only the newest is kept. */
    private void removeOthers() throws IOException {
        String mine = archive.getFileName().toString();
        try (DirectoryStream<Path> all =
                Files.newDirectoryStream(archive.getParent(), "worker-*")) {
            for (Path other : all) {
                if (!other.getFileName().toString().startsWith(mine)) {
                    Files.deleteIfExists(other);
                }
            }
        }
    }
}
