package io.rayzerocopy.internal.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

class BatchMetadataTest {
    @Test
    void countersAreSummedAndOnlyOurMetadataIsStripped() {
        try (BufferAllocator allocator = new RootAllocator();
                IntVector v = new IntVector("v", allocator)) {
            v.setSafe(0, 1);
            VectorSchemaRoot user =
                    new VectorSchemaRoot(
                            new Schema(List.of(v.getField()), Map.of("theirs", "kept")),
                            List.<FieldVector>of(v),
                            1);
            VectorSchemaRoot counted =
                    BatchMetadata.withCounters(
                            BatchMetadata.withOrigin(user, new RowRange("f.parquet", 10, 1)),
                            Map.of("nan", 3L));
            Map<String, Long> totals = new HashMap<>(Map.of("nan", 2L));

            VectorSchemaRoot clean = BatchMetadata.takeCounters(counted, totals);

            assertEquals(Map.of("nan", 5L), totals);
            assertEquals(Map.of("theirs", "kept"), clean.getSchema().getCustomMetadata());
            assertEquals("row 12 of f.parquet", BatchMetadata.row(counted, 2));
            assertEquals("row 2 of the batch", BatchMetadata.row(clean, 2));
        }
    }
}
