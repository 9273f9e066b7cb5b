package io.rayzerocopy.internal.model;

import io.rayzerocopy.spi.StoreSource;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** A store source that copies a committed store's files from another store directory. */
final class DirectorySource implements StoreSource {
    private static final long serialVersionUID = 1L;
    private final String dir;
    private final List<String> files;
    private final transient Runnable beforeCopy;

    /** The files of {@code ref}'s store in {@code store}; {@code beforeCopy} runs before each. */
    DirectorySource(WeightStore store, StoreRef ref, Runnable beforeCopy) throws IOException {
        this.dir = store.directory(ref).toString();
        this.files = store.storeFiles(ref);
        this.beforeCopy = beforeCopy;
    }

    @Override
    public List<String> files() {
        return files;
    }

    @Override
    public void copy(String file, WritableByteChannel out) throws IOException {
        beforeCopy.run();
        try (FileChannel in = FileChannel.open(Path.of(dir, file), StandardOpenOption.READ)) {
            long pos = 0;
            while (pos < in.size()) {
                pos += in.transferTo(pos, in.size() - pos, out);
            }
        }
    }
}
