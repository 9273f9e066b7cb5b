package io.rayzerocopy.admin;

import io.rayzerocopy.StoreException;
import io.rayzerocopy.internal.exec.JobScratch;
import io.rayzerocopy.internal.exec.ProcessRuntime;
import io.rayzerocopy.internal.model.StoreRef;
import io.rayzerocopy.internal.model.TensorSpec;
import io.rayzerocopy.internal.model.WeightStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The weight stores of one store directory: list, describe, measure and collect them, as {@code rzc
 * store} does. Looking changes nothing and creates nothing; only {@link #gc()} removes.
 *
 * <pre>{@code
 * WeightStores stores = WeightStores.local();
 * for (StoreInfo s : stores.list()) System.out.println(s.id() + " " + s.bytes());
 * stores.gc();
 * }</pre>
 */
public final class WeightStores {
    private final Path root;

    private WeightStores(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /**
     * The store directory of this machine: {@code -Drzc.store.dir}, else {@code RZC_STORE_DIR},
     * else {@code /dev/shm/ray-zerocopy-<uid>} (where jobs of this process put their stores).
     */
    public static WeightStores local() {
        return new WeightStores(WeightStore.defaultRoot());
    }

    /** The stores under {@code root}. */
    public static WeightStores at(Path root) {
        return new WeightStores(Objects.requireNonNull(root, "root"));
    }

    /** The store directory. */
    public Path root() {
        return root;
    }

    /**
     * The committed stores, then those being written or left by writers that died; empty if the
     * directory does not exist. Leases of dead processes are not counted.
     */
    public List<StoreInfo> list() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        return store().list().stream().map(StoreInfo::new).toList();
    }

    /** The store {@code id} as {@link #list()} shows it, if it is here. */
    public Optional<StoreInfo> describe(String id) {
        Objects.requireNonNull(id, "id");
        return list().stream().filter(s -> s.id().equals(id)).findFirst();
    }

    /**
     * The tensors of the committed store {@code id}, from its manifest.
     *
     * @throws StoreException if there is no such store here
     */
    public List<TensorInfo> tensors(String id) {
        return ref(id).tensors().stream().map(WeightStores::tensor).toList();
    }

    /**
     * Samples the memory the committed store {@code id} takes in the processes using it now.
     *
     * @throws StoreException if there is no such store here
     */
    public StoreMemory memory(String id) {
        return new StoreMemory(io.rayzerocopy.internal.model.StoreMemory.measure(ref(id), store()));
    }

    /**
     * Removes leases of dead processes, then every store no live process uses and every partial
     * store whose writer died.
     *
     * @return the directories removed
     */
    public List<Path> gc() {
        return Files.isDirectory(root) ? store().gc() : List.of();
    }

    /**
     * Removes what this user's jobs killed outright left outside the stores: the shared-memory
     * batch directories ({@code /dev/shm/rzc-batches-*}), the engines' scratch directories ({@code
     * <tmp>/rzc-scratch-*}: Spark's local directories and its executors' temp files) and the native
     * libraries lz4-java unpacked into the temp directory that no process maps any more. A job's
     * start does it too.
     *
     * @return the files and directories removed
     */
    public static List<Path> removeDeadJobFiles() {
        List<Path> removed = new ArrayList<>(ProcessRuntime.removeDeadBatchDirectories());
        removed.addAll(JobScratch.sweep());
        return removed;
    }

    /** The directory a store with this id has (or would have) here. */
    public Path directory(String id) {
        return root.resolve(id);
    }

    private StoreRef ref(String id) {
        Objects.requireNonNull(id, "id");
        if (!Files.isDirectory(directory(id))) {
            throw new StoreException("no weight store " + id + " under " + root);
        }
        return store().ref(id);
    }

    private WeightStore store() {
        return WeightStore.at(root);
    }

    static TensorInfo tensor(TensorSpec t) {
        return new TensorInfo(t.name(), t.dtype(), t.shape().getShape(), t.byteSize());
    }
}
