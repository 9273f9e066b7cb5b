package io.rayzerocopy.spark.internal;

import io.rayzerocopy.StoreException;
import io.rayzerocopy.spi.LocalStore;
import io.rayzerocopy.spi.StoreSource;
import io.rayzerocopy.spi.WorkerJvms;

import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A weight store served by the driver's file server (the one that serves {@code addFile} and
 * {@code addJar}), fetched by an executor only when its machine lacks the store: such an executor
 * materializes it (one writer per store directory, hash checked, renamed into place), and every executor of the machine maps that one copy. An executor that
 * finds the store fetches nothing, unlike {@code addFile}, whose files every executor downloads
 * before its first task. Never a {@code Broadcast}, whose value is deserialized into each
 * executor's heap.
 */
public final class DriverStoreSource implements StoreSource {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DriverStoreSource.class);
    private static final String LINKS = ".spark-files";

    /** Stores already served, by application and store. */
    private static final Map<String, DriverStoreSource> SERVED = new ConcurrentHashMap<>();

    private final String baseUri;
    private final List<String> files;

    private DriverStoreSource(String baseUri, List<String> files) {
        this.baseUri = baseUri;
        this.files = List.copyOf(files);
    }

    /**
     * Serves the files of the committed store {@code store} from the driver, once per application:
     * as hard links next to the stores (no copy), kept until the application ends, so that a store
     * the driver releases meanwhile stays available to executors that join later.
     *
     * @throws StoreException if the files cannot be linked or served
     */
    public static DriverStoreSource publish(SparkContext sc, LocalStore store) {
        return SERVED.computeIfAbsent(
                sc.applicationId() + "/" + store.id(), key -> serve(sc, store));
    }

    private static DriverStoreSource serve(SparkContext sc, LocalStore store) {
        Path dir = store.directory();
        Path links = store.root().resolve(LINKS).resolve(sc.applicationId()).resolve(store.id());
        List<String> files;
        Path served = links;
        try {
            files = store.files();
            for (String file : files) {
                Path link = links.resolve(file);
                Files.createDirectories(link.getParent());
                if (!Files.exists(link)) {
                    Files.createLink(link, dir.resolve(file));
                }
            }
        } catch (IOException | UncheckedIOException | UnsupportedOperationException e) {
            // No hard links there: serve the store itself, which the driver's lease keeps.
            LOG.debug("cannot link {} into {} ({}); serving the store directory", dir, links, e);
            served = dir;
            files = storeFiles(store);
        }
        String uri =
                sc.env()
                        .rpcEnv()
                        .fileServer()
                        .addDirectoryIfAbsent("/rzc-" + store.id(), served.toFile());
        String app = sc.applicationId();
        sc.addSparkListener(
                new SparkListener() {
                    @Override
                    public void onApplicationEnd(SparkListenerApplicationEnd event) {
                        SERVED.keySet().removeIf(k -> k.startsWith(app + "/"));
                        deleteLinks(links.getParent());
                    }
                });
        LOG.info("serving {} ({} files) to executors that lack it, at {}", store, files.size(), uri);
        return new DriverStoreSource(uri, files);
    }

    private static void deleteLinks(Path dir) {
        try {
            WorkerJvms.deleteTree(dir);
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.toString());
        }
    }

    private static List<String> storeFiles(LocalStore store) {
        try {
            return store.files();
        } catch (IOException e) {
            throw new StoreException(
                    "cannot serve weight store "
                            + store.directory()
                            + " to the executors: "
                            + e.getMessage(),
                    e);
        }
    }

    @Override
    public List<String> files() {
        return files;
    }

    @Override
    public void copy(String file, WritableByteChannel out) throws IOException {
        if (!files.contains(file)) {
            throw new IOException("no served file " + file);
        }
        SparkEnv env = SparkEnv.get();
        if (env == null) {
            throw new IOException("no Spark executor in this JVM to fetch " + file + " with");
        }
        try (ReadableByteChannel in = env.rpcEnv().openChannel(baseUri + "/" + file)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
            while (in.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                buffer.clear();
            }
        }
    }
}
