package io.rayzerocopy.internal.data;

import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The part files a sink keeps open for partitioned output, at most {@code max}: opening one more
 * finishes the least recently written (its partition's next rows start a new file). Bounds the
 * open descriptors and the buffered row groups whatever the number of partitions. Used under the
 * sink's lock.
 */
final class OpenFiles {
    /** A file that can be finished early. */
    interface Finishing {
        void finishFile() throws IOException;
    }

    private final int max;
    private final Map<Finishing, Boolean> open = new LinkedHashMap<>(16, 0.75f, true);

    OpenFiles(int max) {
        this.max = max;
    }

    /** Makes room for {@code file}, about to be opened, by finishing the least recent ones. */
    void opening(Finishing file) throws IOException {
        Iterator<Finishing> eldest = open.keySet().iterator();
        while (open.size() >= max && eldest.hasNext()) {
            Finishing victim = eldest.next();
            eldest.remove();
            victim.finishFile();
        }
        open.put(file, Boolean.TRUE);
    }

    /** Marks {@code file} as just written. */
    void written(Finishing file) {
        open.get(file);
    }

    /** Forgets {@code file}, finished or abandoned by its writer. */
    void closed(Finishing file) {
        open.remove(file);
    }
}
