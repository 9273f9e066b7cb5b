package io.rayzerocopy.internal.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.ParquetWriteOptions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

class ParquetSinkAdoptTest {
    @TempDir Path dir;

    /** A committed dataset of rows {@code from..from+n-1} in files of 4 rows, with _errors. */
    private Path task(String name, long from, int n) throws Exception {
        Path out = dir.resolve(name);
        List<Map<String, Object>> rows =
                Stream.iterate(from, i -> i + 1)
                        .limit(n)
                        .map(i -> Map.<String, Object>of("id", i))
                        .toList();
        Dataset.fromItems(rows)
                .writeParquet(out.toString(), ParquetWriteOptions.builder().rowsPerFile(4).build());
        Files.createDirectories(out.resolve("_errors"));
        Files.copy(out.resolve("part-00000.parquet"), out.resolve("_errors/part-00000.parquet"));
        return out;
    }

    @Test
    void adoptedPartsAreNumberedAfterEachOtherAndCommittedOnce() throws Exception {
        Path first = task("t0", 0, 6);
        Path second = task("t1", 6, 5);
        Path out = dir.resolve("out");
        try (ParquetSink sink = ParquetSink.create(out.toString(), ParquetWriteOptions.defaults())) {
            assertEquals(6, sink.adopt("first", first.toString()));
            assertEquals(5, sink.adopt("second", second.toString()));
            assertEquals(11, sink.rows());
            assertEquals(
                    List.of(
                            out.resolve("part-00000.parquet").toString(),
                            out.resolve("part-00001.parquet").toString(),
                            out.resolve("part-00002.parquet").toString(),
                            out.resolve("part-00003.parquet").toString()),
                    sink.commit());
        }
        List<Object> ids =
                Dataset.readParquet(out.toString()).take(100).stream()
                        .map(r -> r.get("id"))
                        .toList();
        assertEquals(Stream.iterate(0L, i -> i + 1).limit(11).toList(), ids);
        assertEquals(8, Dataset.readParquet(out.resolve("_errors").toString()).count());
        try (Stream<Path> errors = Files.list(out.resolve("_errors"))) {
            assertEquals(2, errors.count(), "the side datasets were adopted too");
        }
    }
}
