package io.rayzerocopy.internal.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

class ParquetSplitTest {
    @TempDir Path dir;

    @Test
    void splitsOfWholeRowGroupsCoverEveryRowOnceInOrderWithFileRowNumbers() throws Exception {
        ParquetFixtures.writeAllTypes(dir.resolve("a.parquet"), 700);
        ParquetFixtures.writeAllTypes(dir.resolve("b.parquet"), 300);
        ParquetSource source = ParquetSource.of(List.of(dir.toString()));
        assertEquals(2, ParquetSplitSource.plan(source, Long.MAX_VALUE).size(), "one per file");
        List<ParquetSplitSource> splits = ParquetSplitSource.plan(source.select(List.of("i")), 100);
        assertTrue(splits.size() > 4, "small row groups give several splits: " + splits);

        List<Integer> ids = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator()) {
            for (ParquetSplitSource split : splits) {
                ParquetSplitSource shipped = copy(split);
                try (BatchReader reader = shipped.open(allocator, 64)) {
                    for (SourceBatch next = reader.next(); next != null; next = reader.next()) {
                        try (SourceBatch batch = next) {
                            IntVector i = (IntVector) batch.root().getVector("i");
                            for (int r = 0; r < batch.rowCount(); r++) {
                                ids.add(i.get(r));
                                assertEquals(
                                        batch.range().firstRow() + r,
                                        i.get(r),
                                        "rows keep their number in the file");
                            }
                        }
                    }
                }
                assertEquals(shipped.rowCount().getAsLong(), ids.size() - count(splits, split));
            }
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 700; i++) {
            expected.add(i);
        }
        for (int i = 0; i < 300; i++) {
            expected.add(i);
        }
        assertEquals(expected, ids);
    }

    @Test
    void planningChecksEveryFileForTheSelectedColumnsAndRefusesOtherSources() throws Exception {
        ParquetFixtures.writeAllTypes(dir.resolve("a.parquet"), 10);
        IllegalArgumentException missing =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                ParquetSplitSource.plan(
                                        ParquetSource.of(List.of(dir.toString()))
                                                .select(List.of("i", "nope")),
                                        100));
        assertTrue(missing.getMessage().contains("'nope' does not exist"), missing.getMessage());
        IllegalArgumentException range =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ParquetSplitSource.plan(RangeSource.of(10), 100));
        assertTrue(range.getMessage().contains("reads Parquet files"), range.getMessage());
    }

    /** Rows of the splits before {@code split}. */
    private static long count(List<ParquetSplitSource> splits, ParquetSplitSource split) {
        long rows = 0;
        for (ParquetSplitSource s : splits) {
            if (s == split) {
                return rows;
            }
            rows += s.rowCount().getAsLong();
        }
        return rows;
    }

    private static ParquetSplitSource copy(ParquetSplitSource split) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(split);
        }
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (ParquetSplitSource) in.readObject();
        }
    }
}
