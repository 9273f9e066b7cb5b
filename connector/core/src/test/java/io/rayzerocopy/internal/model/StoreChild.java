package io.rayzerocopy.internal.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;

import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.TorchScriptModel;
import io.rayzerocopy.spi.StoreSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Entry point of the child JVMs the store tests start. */
public final class StoreChild {
    private StoreChild() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "score":
                {
                    // score <fixture>: wraps <fixture>.pt from the default store directory, loads
                    // it, prints the store's directory, then the output for the fixture's input.
                    try (ModelWrapper<Model> wrapper =
                                    ModelWrapper.fromModel(
                                            TorchScriptModel.fromFile(
                                                    Fixtures.path(args[1] + ".pt")),
                                            Mode.ACTOR);
                            Model model = wrapper.load();
                            NDManager manager = NDManager.newBaseManager()) {
                        NDArray out =
                                model.getBlock()
                                        .forward(
                                                new ParameterStore(manager, false),
                                                new NDList(
                                                        Fixtures.refArray(
                                                                manager, args[1], "input")),
                                                false)
                                        .singletonOrThrow();
                        System.out.println(WeightStore.local().root().resolve(wrapper.storeId()));
                        System.out.println(Arrays.toString(out.toFloatArray()));
                    }
                    break;
                }
            case "stall":
                {
                    // stall <source root> <target root>: writes a 4 MB store under the source
                    // root, starts copying it to the target root, and stops half-way through the
                    // first shard, printing "writing", until it is killed.
                    WeightStore source = WeightStore.at(Path.of(args[1]));
                    ByteBuffer data = ByteBuffer.allocate(4 << 20).order(ByteOrder.LITTLE_ENDIAN);
                    while (data.hasRemaining()) {
                        data.putFloat(data.position());
                    }
                    data.flip();
                    WeightStore.Lease lease =
                            source.write(
                                    List.of(
                                            new WeightStore.Tensor(
                                                    "w",
                                                    DataType.FLOAT32,
                                                    new long[] {1 << 20},
                                                    data)),
                                    Map.of());
                    StoreRef ref = lease.ref();
                    WeightStore.at(Path.of(args[2]))
                            .materialize(
                                    ref,
                                    new StallingSource(
                                            source.directory(ref), source.storeFiles(ref)));
                    throw new AssertionError("the stalled copy returned");
                }
            default:
                throw new IllegalArgumentException(args[0]);
        }
    }

    /** Copies half of the first shard, then blocks: a writer that is killed mid-write. */
    private static final class StallingSource implements StoreSource {
        private static final long serialVersionUID = 1L;
        private final transient Path dir;
        private final List<String> files;

        StallingSource(Path dir, List<String> files) {
            this.dir = dir;
            this.files = files;
        }

        @Override
        public List<String> files() {
            return files;
        }

        @Override
        public void copy(String file, WritableByteChannel out) throws IOException {
            boolean shard = file.startsWith("shard-");
            try (FileChannel in = FileChannel.open(dir.resolve(file), StandardOpenOption.READ)) {
                ByteBuffer part = ByteBuffer.allocate((int) (shard ? in.size() / 2 : in.size()));
                while (part.hasRemaining() && in.read(part, part.position()) >= 0) {
                    // reads the part to copy
                }
                part.flip();
                while (part.hasRemaining()) {
                    out.write(part);
                }
            }
            if (!shard) {
                return;
            }
            System.out.println("writing");
            System.out.flush();
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }
}
