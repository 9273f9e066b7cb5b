package io.rayzerocopy;

import io.rayzerocopy.internal.data.ParquetSink;

import java.io.Serializable;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * How {@link ParquetSink} writes: compression, rows per file and per row group, what to do when the
 * output directory exists, whether to resume a killed run, and the columns to partition the
 * output by. Immutable and serializable; start
 * from {@link #defaults()} or {@link #builder()}.
 */
public final class ParquetWriteOptions implements Serializable {
    private static final long serialVersionUID = 2L;

    /** Column chunk compression. */
    public enum Compression {
        SNAPPY,
        ZSTD,
        NONE
    }

    /** What to do when the output directory already exists and is not empty. */
    public enum SaveMode {
        /** Fail before anything runs; an existing empty directory is fine. */
        ERROR_IF_EXISTS,
        /**
         * Replace the directory's contents when the job commits; a failed job leaves them intact.
         */
        OVERWRITE
    }

    private static final ParquetWriteOptions DEFAULTS = builder().build();

    private final Compression compression;
    private final long rowsPerFile;
    private final int rowsPerRowGroup;
    private final SaveMode saveMode;
    private final boolean resume;
    private final List<String> partitionBy;
    /** The most part files a partitioned write may keep open (memory and descriptors). */
    public static final int MAX_OPEN_FILES = 1024;

    private final int maxOpenFiles;

    private ParquetWriteOptions(Builder builder) {
        this.compression = builder.compression;
        this.rowsPerFile = builder.rowsPerFile;
        this.rowsPerRowGroup = builder.rowsPerRowGroup;
        this.saveMode = builder.saveMode;
        this.resume = builder.resume;
        this.partitionBy = builder.partitionBy;
        this.maxOpenFiles = builder.maxOpenFiles;
    }

    /**
     * Snappy, 1,000,000 rows per file, 131,072 rows per row group, {@code ERROR_IF_EXISTS}, no
     * resume.
     */
    public static ParquetWriteOptions defaults() {
        return DEFAULTS;
    }

    /** The defaults, but replacing an existing output directory when the job commits. */
    public static ParquetWriteOptions overwrite() {
        return builder().saveMode(SaveMode.OVERWRITE).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        return new Builder()
                .compression(compression)
                .rowsPerFile(rowsPerFile)
                .rowsPerRowGroup(rowsPerRowGroup)
                .saveMode(saveMode)
                .resume(resume)
                .partitionBy(partitionBy.toArray(String[]::new))
                .maxOpenFiles(maxOpenFiles);
    }

    public Compression compression() {
        return compression;
    }

    /** A file is closed and the next one started after this many rows. */
    public long rowsPerFile() {
        return rowsPerFile;
    }

    /**
     * A row group is flushed after this many rows, or earlier once it buffers 128 MiB. Readers hold
     * one row group per file in memory.
     */
    public int rowsPerRowGroup() {
        return rowsPerRowGroup;
    }

    public SaveMode saveMode() {
        return saveMode;
    }

    /**
     * Whether to continue the run of this job that died (killed, out of memory, preempted) where it
     * stopped: a job over Parquet files writes its output file by file into a hidden staging
     * directory next to the output, and the resumed run reads only the input files whose output was
     * not committed there yet, then commits the whole output as one. It is refused, naming what
     * changed, if the input files (paths, sizes, modification times), the selected columns, a map's
     * function, model or batch size, or these write options differ. With nothing to resume the job
     * simply runs; if it fails, its committed files are kept for the next resume. Without resume, a
     * job removes the staging directories that dead runs left.
     */
    public boolean resume() {
        return resume;
    }

    /**
     * The columns whose values name each row's directory, Hive-style ({@code
     * date=2026-12-01/part-00000.parquet}); empty for an unpartitioned output.
     */
    public List<String> partitionBy() {
        return partitionBy;
    }

    /**
     * With {@link #partitionBy()}: how many part files a job keeps open at once; past it, the
     * least recently written one is finished (its partition's next rows start a new file). Each
     * open file buffers up to one row group.
     */
    public int maxOpenFiles() {
        return maxOpenFiles;
    }

    @Override
    public String toString() {
        return "ParquetWriteOptions{compression="
                + compression
                + ", rowsPerFile="
                + rowsPerFile
                + ", rowsPerRowGroup="
                + rowsPerRowGroup
                + ", saveMode="
                + saveMode
                + (resume ? ", resume" : "")
                + (partitionBy.isEmpty()
                        ? ""
                        : ", partitionBy=" + partitionBy + ", maxOpenFiles=" + maxOpenFiles)
                + "}";
    }

    /** Builds {@link ParquetWriteOptions}. */
    public static final class Builder {
        private Compression compression = Compression.SNAPPY;
        private long rowsPerFile = 1_000_000;
        private int rowsPerRowGroup = 131_072;
        private SaveMode saveMode = SaveMode.ERROR_IF_EXISTS;
        private boolean resume;
        private List<String> partitionBy = List.of();
        private int maxOpenFiles = 16;

        private Builder() {}

        public Builder compression(Compression compression) {
            this.compression = Objects.requireNonNull(compression, "compression");
            return this;
        }

        public Builder rowsPerFile(long rows) {
            if (rows <= 0) {
                throw new IllegalArgumentException("rowsPerFile must be > 0, got " + rows);
            }
            this.rowsPerFile = rows;
            return this;
        }

        public Builder rowsPerRowGroup(int rows) {
            if (rows <= 0) {
                throw new IllegalArgumentException("rowsPerRowGroup must be > 0, got " + rows);
            }
            this.rowsPerRowGroup = rows;
            return this;
        }

        public Builder saveMode(SaveMode saveMode) {
            this.saveMode = Objects.requireNonNull(saveMode, "saveMode");
            return this;
        }

        /** See {@link ParquetWriteOptions#resume()}. */
        public Builder resume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /**
         * Writes each row under {@code column=value/} directories of these columns' values, in
         * this order, as Spark's {@code partitionBy} does: Hive's escaping, a null or empty value
         * as {@code __HIVE_DEFAULT_PARTITION__}, and the partition columns not repeated inside the
         * files. Columns of numbers, booleans, strings and dates can partition; the output must
         * keep at least one other column. None: an unpartitioned output.
         */
        public Builder partitionBy(String... columns) {
            List<String> names = List.copyOf(Arrays.asList(columns));
            if (new HashSet<>(names).size() != names.size()
                    || names.stream().anyMatch(String::isBlank)) {
                throw new IllegalArgumentException(
                        "partitionBy names each column once, none blank; got " + names);
            }
            this.partitionBy = names;
            return this;
        }

        /** See {@link ParquetWriteOptions#maxOpenFiles()}; default 16. */
        public Builder maxOpenFiles(int files) {
            if (files <= 0 || files > MAX_OPEN_FILES) {
                throw new IllegalArgumentException(
                        "maxOpenFiles must be 1 to "
                                + MAX_OPEN_FILES
                                + ", got "
                                + files
                                + ": each open part file holds a row group in memory and a file"
                                + " descriptor");
            }
            this.maxOpenFiles = files;
            return this;
        }

        public ParquetWriteOptions build() {
            return new ParquetWriteOptions(this);
        }
    }
}
