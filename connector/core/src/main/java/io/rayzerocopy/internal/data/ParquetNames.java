package io.rayzerocopy.internal.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Which files found in an input directory are data. Tools leave other files next to their part
 * files ({@code README.txt}, {@code .crc}, {@code _SUCCESS}); Hive names part files without an
 * extension ({@code 000000_0}). A file is data if its name says Parquet or it starts with Parquet's
 * magic bytes; so a damaged {@code .parquet} file is still read, and fails naming itself.
 */
final class ParquetNames {
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    private ParquetNames() {}

    /** Whether {@code file}, met while listing a directory or a glob, should be read. */
    static boolean isData(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".parquet") || name.endsWith(".parq")) {
            return true;
        }
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(MAGIC.length), MAGIC);
        } catch (IOException e) {
            return true; // unreadable: reading it names the file and the reason
        }
    }
}
