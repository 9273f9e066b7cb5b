package io.rayzerocopy.internal.spark;

import io.rayzerocopy.StoreException;
import io.rayzerocopy.internal.model.StoreRef;
import io.rayzerocopy.internal.model.StoreSource;
import io.rayzerocopy.internal.model.WeightStore;

import org.apache.spark.SparkContext;
import org.apache.spark.SparkFiles;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A weight store published with {@link SparkContext#addFile}: the driver serves each store file,
 * executors fetch the files at their next task, and a machine that lacks the store materializes it
 * from those copies ({@link WeightStore#materialize}: hash checked, renamed into place atomically),
 * once; every executor of the machine then maps that one store. Never a {@code Broadcast}, whose
 * value is deserialized into each executor's heap.
 */
public final class SparkFilesStoreSource implements StoreSource {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SparkFilesStoreSource.class);
    private static final String LINKS = ".spark-files";

    /** Stores already published, by application and store: addFile takes a name once. */
    private static final Map<String, SparkFilesStoreSource> PUBLISHED = new ConcurrentHashMap<>();

    /** Store file (relative path) to the name it was added under. */
    private final LinkedHashMap<String, String> names;

    private SparkFilesStoreSource(LinkedHashMap<String, String> names) {
        this.names = names;
    }

    /**
     * Adds the files of the committed store {@code ref} to {@code sc} under names unique to the
     * store ({@code <store id>~<path>}: Spark keys added files by file name, and every store has a
     * {@code shard-00000.safetensors}). The names are hard links next to the stores (no copy), kept
     * until the application ends, as executors that join later fetch them too.
     *
     * @throws StoreException if the files cannot be linked or added
     */
    public static SparkFilesStoreSource publish(SparkContext sc, StoreRef ref) {
        return PUBLISHED.computeIfAbsent(sc.applicationId() + "/" + ref.id(), key -> add(sc, ref));
    }

    private static SparkFilesStoreSource add(SparkContext sc, StoreRef ref) {
        WeightStore local = WeightStore.local();
        Path dir = local.directory(ref);
        Path links = local.root().resolve(LINKS).resolve(sc.applicationId()).resolve(ref.id());
        LinkedHashMap<String, String> names = new LinkedHashMap<>();
        try {
            Files.createDirectories(links);
            for (String file : local.storeFiles(ref)) {
                String name = ref.id() + "~" + file.replace('/', '~');
                Path link = links.resolve(name);
                if (!Files.exists(link)) {
                    try {
                        Files.createLink(link, dir.resolve(file));
                    } catch (IOException | UnsupportedOperationException e) {
                        Files.copy(dir.resolve(file), link);
                    }
                }
                sc.addFile(link.toString());
                names.put(file, name);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new StoreException(
                    "cannot publish weight store "
                            + dir
                            + " with SparkContext.addFile: "
                            + e.getMessage(),
                    e);
        }
        String app = sc.applicationId();
        sc.addSparkListener(
                new SparkListener() {
                    @Override
                    public void onApplicationEnd(SparkListenerApplicationEnd event) {
                        PUBLISHED.keySet().removeIf(k -> k.startsWith(app + "/"));
                        SparkJobs.deleteTree(links.getParent().toString());
                    }
                });
        LOG.info("published {} ({} files) with SparkContext.addFile", ref, names.size());
        return new SparkFilesStoreSource(names);
    }

    @Override
    public List<String> files() {
        return List.copyOf(names.keySet());
    }

    @Override
    public void copy(String file, WritableByteChannel out) throws IOException {
        String name = names.get(file);
        if (name == null) {
            throw new IOException("no published file " + file);
        }
        try (FileChannel in =
                FileChannel.open(Paths.get(SparkFiles.get(name)), StandardOpenOption.READ)) {
            long size = in.size();
            for (long pos = 0; pos < size; ) {
                pos += in.transferTo(pos, size - pos, out);
            }
        }
    }
}
