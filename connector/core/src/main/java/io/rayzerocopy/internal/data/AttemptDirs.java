package io.rayzerocopy.internal.data;

import io.rayzerocopy.internal.storage.Storage;
import io.rayzerocopy.internal.storage.Tree;
import io.rayzerocopy.spi.JobPlan;

import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The attempt directories of a job's tasks, inside the job's staging area ({@link
 * ParquetSink#attempts}): each attempt writes a committed output of its own there, and the driver
 * adopts one per split. Carries the driver's Hadoop settings ({@link Storage#settings()}) to the
 * tasks, whose clients need them.
 */
final class AttemptDirs implements JobPlan.AttemptArea {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(AttemptDirs.class);

    private final String location;
    private final Map<String, String> storageSettings;

    AttemptDirs(String location) {
        this.location = location;
        this.storageSettings = Storage.settings();
    }

    @Override
    public String create(String attempt) {
        if (!Storage.settings().equals(storageSettings)) {
            Storage.configure(storageSettings);
        }
        Tree tree = Tree.of(location);
        Path dir = new Path(tree.path(location), attempt);
        try {
            // createDirectory, not createDirectories: once the driver has deleted the area, a
            // late attempt fails here instead of making it again.
            tree.createDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create attempt directory " + dir, e);
        }
        return tree.name(new Path(dir, "data"));
    }

    @Override
    public void delete() {
        try {
            Tree tree = Tree.of(location);
            tree.deleteTree(tree.path(location));
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("could not delete {}: {}", location, e.toString());
        }
    }

    @Override
    public String toString() {
        return location;
    }
}
