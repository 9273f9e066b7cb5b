package io.rayzerocopy.internal.data;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An output directory given as a symbolic link. A commit renames the staged output into place: at
 * the link's own path that would replace the link with a directory and leave its target as it was.
 * A job writes at the link's target instead, so the link keeps pointing where the user made it
 * point, and there finds the new output.
 */
public final class OutputLink {
    private static final Logger LOG = LoggerFactory.getLogger(OutputLink.class);

    private OutputLink() {}

    /**
     * Where a job writing {@code output} (absolute and normalized) commits: {@code output} itself,
     * or the directory it links to.
     *
     * @throws IllegalArgumentException if {@code output} is a link to nothing (naming the target)
     */
    public static Path target(Path output) {
        return target(output, false);
    }

    /** As {@link #target(Path)}, saying in the log where a job on a link writes. */
    static Path targetLogged(Path output) {
        return target(output, true);
    }

    private static Path target(Path output, boolean log) {
        if (!Files.isSymbolicLink(output)) {
            return output;
        }
        try {
            if (!Files.exists(output)) {
                throw new IllegalArgumentException(
                        "output "
                                + output
                                + " is a symbolic link to "
                                + Files.readSymbolicLink(output)
                                + ", which does not exist: create that directory, or give"
                                + " another output");
            }
            Path target = output.toRealPath();
            if (log) {
                LOG.info("output {} is a symbolic link: writing its target {}", output, target);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot follow the symbolic link " + output, e);
        }
    }
}
