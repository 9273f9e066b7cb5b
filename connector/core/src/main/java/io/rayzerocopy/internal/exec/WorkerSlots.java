package io.rayzerocopy.internal.exec;

import org.apache.arrow.memory.util.MemoryUtil;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A worker's side of its {@link BatchSlots}: each slot is mapped the first time a call names it and
 * kept for the worker's life; its file is deleted at once, so only the two mappings hold its pages.
 */
final class WorkerSlots {
    private final Path directory;
    private final Map<Integer, MappedByteBuffer> mappings = new HashMap<>();

    WorkerSlots(Path directory) {
        this.directory = directory;
    }

    /** The mapping of slot {@code index}. */
    MappedByteBuffer mapping(int index) throws IOException {
        MappedByteBuffer m = mappings.get(index);
        if (m == null) {
            Path file = BatchSlots.file(directory, index);
            m = BatchSlots.map(file, false);
            Files.delete(file);
            mappings.put(index, m);
        }
        return m;
    }

    /** The address of slot {@code index} in this process. */
    long address(int index) throws IOException {
        return MemoryUtil.getByteBufferAddress(mapping(index));
    }

    /** Deletes the slot directory and whatever files are still in it. */
    void deleteDirectory() {
        BatchSlots.deleteTree(directory);
    }
}
