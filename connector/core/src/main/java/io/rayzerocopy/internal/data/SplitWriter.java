package io.rayzerocopy.internal.data;

import io.rayzerocopy.DatasetException;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.internal.storage.Tree;

import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.compression.CompressionCodecFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the output of one split of a job into its {@link StagingArea}: the main dataset and side
 * datasets such as {@code _errors} (sub-directories), each rolling to a new part file {@code
 * part-<split index>-<n>.parquet} every {@code rowsPerFile} rows. With {@code partitionBy}, the
 * main dataset's rows go to their partitions' directories ({@code date=2026-12-01/}), at most
 * {@code maxOpenFiles} files open across the job ({@link OpenFiles}). {@link #commit()} makes the split
 * part of the output; until then nothing of it counts. Not thread-safe.
 */
public final class SplitWriter {
    private static final String MAIN = "";

    private final StagingArea area;
    private final Tree tree;
    private final String split;
    private final int index;
    private final Path data;
    private final CompressionCodecFactory.BytesInputCompressor compressor;
    private final ParquetWriteOptions options;
    private final Map<String, Parts> datasets = new LinkedHashMap<>();
    private final Map<String, Parts> partitions = new LinkedHashMap<>();
    private boolean finished;

    SplitWriter(
            StagingArea area,
            String split,
            int index,
            Path data,
            CompressionCodecFactory.BytesInputCompressor compressor,
            ParquetWriteOptions options) {
        this.area = area;
        this.tree = area.tree();
        this.split = split;
        this.index = index;
        this.data = data;
        this.compressor = compressor;
        this.options = options;
    }

    /** Appends all rows of {@code root} to the split's main dataset. */
    public void write(VectorSchemaRoot root) {
        List<String> partitionBy = options.partitionBy();
        if (partitionBy.isEmpty()) {
            parts(MAIN).write(root);
            return;
        }
        PartitionRows.check(partitionBy, root.getSchema().getFields());
        PartitionRows.split(root, partitionBy, (dir, rows) -> parts(dir).write(rows));
    }

    /** Appends all rows of {@code root} to the split's side dataset {@code name}. */
    public void writeSidecar(String name, VectorSchemaRoot root) {
        parts(name).write(root);
    }

    /**
     * Moves finished part files written elsewhere into dataset {@code name} ({@code ""}: the main
     * one) as the split's next files; returns their rows, read from their footers.
     */
    long adopt(String name, List<Path> files) throws IOException {
        Parts parts = parts(name);
        long rows = 0;
        for (Path file : files) {
            try (ParquetFileBatches footer = new ParquetFileBatches(file.toString(), null)) {
                rows += footer.rowCount();
            }
            tree.createDirectories(parts.dir);
            Path target =
                    new Path(
                            parts.dir,
                            String.format("part-%05d-%05d.parquet", index, parts.files.size()));
            tree.rename(file, target);
            parts.files.add(target);
        }
        parts.rows += rows;
        return rows;
    }

    /** Rows written to the main dataset. */
    public long rows() {
        Parts main = datasets.get(MAIN);
        return (main == null ? 0 : main.rows)
                + partitions.values().stream().mapToLong(p -> p.rows).sum();
    }

    /** Rows written to side dataset {@code name}. */
    public long rows(String name) {
        Parts parts = datasets.get(name);
        return parts == null ? 0 : parts.rows;
    }

    /**
     * Finishes the split's files and commits them to the staging area: from now on they are part of
     * the output, and a resumed job skips this split.
     */
    public void commit() {
        checkOpen();
        finished = true;
        List<Path> files = new ArrayList<>();
        Map<String, Long> sideRows = new LinkedHashMap<>();
        try {
            for (Parts parts : partitions.values()) {
                parts.finishFile();
                files.addAll(parts.files);
            }
            for (Map.Entry<String, Parts> entry : datasets.entrySet()) {
                entry.getValue().finishFile();
                files.addAll(entry.getValue().files);
                if (!entry.getKey().equals(MAIN)) {
                    sideRows.put(entry.getKey(), entry.getValue().rows);
                }
            }
            area.commitSplit(split, index, data, files, rows(), sideRows);
        } catch (IOException e) {
            abandonFiles();
            throw new DatasetException(
                    "cannot commit the output of "
                            + split
                            + " to "
                            + area.directory()
                            + ": "
                            + StagingArea.reason(e),
                    e);
        }
    }

    /** Drops what was written for the split. */
    public void abandon() {
        if (finished) {
            return;
        }
        finished = true;
        abandonFiles();
    }

    private void abandonFiles() {
        for (Parts parts : datasets.values()) {
            parts.abandon();
        }
        for (Parts parts : partitions.values()) {
            parts.abandon();
        }
        area.abandonSplit(index);
    }

    /**
     * The files of {@code name}: the main dataset ({@code ""}), a side dataset ({@code _errors})
     * or a partition of the main one ({@code date=2026-12-01}).
     */
    private Parts parts(String name) {
        checkOpen();
        if (name.equals(MAIN) || name.startsWith("_")) {
            return datasets.computeIfAbsent(
                    name, n -> new Parts(n.equals(MAIN) ? data : new Path(data, n), false));
        }
        return partitions.computeIfAbsent(name, n -> new Parts(new Path(data, n), true));
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException("the output of " + split + " is already finished");
        }
    }

    /**
     * One dataset (or partition) of the split: rolls to a new part file every rowsPerFile rows;
     * a partition's open file counts against the job's {@link OpenFiles}.
     */
    private final class Parts implements OpenFiles.Finishing {
        private final Path dir;
        private final boolean bounded;
        private final List<Path> files = new ArrayList<>();
        private Schema schema;
        private PartFileWriter current;
        private long rows;

        Parts(Path dir, boolean bounded) {
            this.dir = dir;
            this.bounded = bounded;
        }

        void write(VectorSchemaRoot root) {
            if (schema == null) {
                schema = root.getSchema();
            }
            int written = 0;
            int count = root.getRowCount();
            try {
                while (written < count) {
                    if (current == null) {
                        if (bounded) {
                            area.openFiles().opening(this);
                        }
                        tree.createDirectories(dir);
                        Path file =
                                new Path(
                                        dir,
                                        String.format(
                                                "part-%05d-%05d.parquet", index, files.size()));
                        current =
                                new PartFileWriter(
                                        tree.output(file),
                                        tree.name(file),
                                        schema,
                                        compressor,
                                        options.rowsPerRowGroup());
                        files.add(file);
                    }
                    int take =
                            (int) Math.min(count - written, options.rowsPerFile() - current.rows());
                    current.write(root, written, take);
                    written += take;
                    rows += take;
                    if (current.rows() == options.rowsPerFile()) {
                        finishFile();
                    } else if (bounded) {
                        area.openFiles().written(this);
                    }
                }
            } catch (IOException e) {
                throw new DatasetException(
                        "cannot write Parquet file " + current + ": " + StagingArea.reason(e), e);
            }
        }

        @Override
        public void finishFile() throws IOException {
            if (bounded) {
                area.openFiles().closed(this);
            }
            if (current != null) {
                PartFileWriter closing = current;
                current = null;
                closing.close();
            }
        }

        /** Closes and deletes the files written so far. */
        void abandon() {
            if (bounded) {
                area.openFiles().closed(this);
            }
            if (current != null) {
                current.abandon();
                current = null;
            }
            for (Path file : files) {
                try {
                    tree.deleteTree(file);
                } catch (IOException e) {
                    // Not named by any record, so a resume deletes it; a failed job's staging
                    // directory goes as a whole.
                }
            }
        }
    }
}
