package io.rayzerocopy.internal.storage;

import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.LocalInputFile;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * parquet-mr's view of a location: a local file through {@link LocalInputFile} (a {@code
 * RandomAccessFile}, the fast path local jobs always had), any other through its Hadoop {@code
 * FileSystem}'s streams.
 */
public final class ParquetFiles {
    private ParquetFiles() {}

    /**
     * The file at {@code location}, to read; parquet-mr's messages name it by its file name (not
     * {@code LocalInputFile@1b1c}) or URI.
     */
    public static InputFile input(String location) {
        if (Storage.isLocal(location)) {
            java.nio.file.Path file = Storage.localPath(location);
            return new LocalInputFile(file) {
                @Override
                public String toString() {
                    return file.getFileName().toString();
                }
            };
        }
        try {
            return HadoopInputFile.fromPath(Storage.hadoopPath(location), Storage.conf());
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot open " + Storage.mask(location) + ": " + Storage.describe(e), e);
        }
    }
}
