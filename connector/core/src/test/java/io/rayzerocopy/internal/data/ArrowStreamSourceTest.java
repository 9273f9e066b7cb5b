package io.rayzerocopy.internal.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;

import io.rayzerocopy.ActorPoolStrategy;
import io.rayzerocopy.BatchIterator;
import io.rayzerocopy.Dataset;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelScorer;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.TorchScriptModel;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

class ArrowStreamSourceTest {
    private static final Schema SCHEMA =
            new Schema(
                    List.of(
                            new Field(
                                    "a", FieldType.notNullable(new ArrowType.Int(64, true)), null),
                            new Field(
                                    "b",
                                    FieldType.notNullable(new ArrowType.Int(64, true)),
                                    null)));

    /** Batches of {@code sizes} rows, a = running row number, b = -a, made as they are read. */
    private static Iterator<VectorSchemaRoot> batches(BufferAllocator allocator, int... sizes) {
        List<VectorSchemaRoot> made = new ArrayList<>();
        return new Iterator<>() {
            private int next;
            private long row;

            @Override
            public boolean hasNext() {
                return next < sizes.length;
            }

            @Override
            public VectorSchemaRoot next() {
                VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
                BigIntVector a = (BigIntVector) root.getVector("a");
                BigIntVector b = (BigIntVector) root.getVector("b");
                int n = sizes[next++];
                for (int r = 0; r < n; r++, row++) {
                    a.setSafe(r, row);
                    b.setSafe(r, -row);
                }
                root.setRowCount(n);
                made.add(root);
                return root;
            }
        };
    }

    @Test
    void aStreamIsReadOnceCutToTheBatchSizeAndTakenOver() {
        try (BufferAllocator foreign = new RootAllocator()) {
            Dataset stream = Dataset.fromArrowStream(SCHEMA, batches(foreign, 5, 0, 7)).select("b");
            List<Map<String, Object>> rows = stream.take(100);
            assertEquals(12, rows.size());
            for (int i = 0; i < rows.size(); i++) {
                assertEquals(Map.of("b", (long) -i), rows.get(i));
            }
            assertEquals(0, foreign.getAllocatedMemory(), "every batch was copied and closed");
            IllegalStateException again = assertThrows(IllegalStateException.class, stream::count);
            assertTrue(again.getMessage().contains("read once"), again.getMessage());
        }
    }

    @Test
    void batchesFromThisProcessRootAreMovedAndSliced() {
        BufferAllocator allocator = Allocators.child("test-stream");
        try (allocator) {
            List<Long> sizes = new ArrayList<>();
            try (var it =
                    Dataset.fromArrowStream(SCHEMA, batches(allocator, 10, 3))
                            .mapBatches(batch -> batch.output().keep("a").build(), 4)
                            .iterBatches()) {
                while (it.hasNext()) {
                    sizes.add((long) it.next().getRowCount());
                }
            }
            assertEquals(13, sizes.stream().mapToLong(Long::longValue).sum());
            assertTrue(sizes.stream().allMatch(n -> n <= 4), "cut to the batch size: " + sizes);
        }
    }

    @Test
    void aStreamIsNotConsumedByTheFirstMapsInputCheck() throws Exception {
        float[][] input = Fixtures.ref("simple_classifier", "input");
        List<Map<String, Object>> items = new ArrayList<>();
        for (long id = 0; id < 8; id++) {
            items.add(Map.of("id", id, "features", input[(int) (id % input.length)]));
        }
        try (BufferAllocator allocator = Allocators.child("test-stream");
                BatchIterator rows = Dataset.fromItems(items).iterBatches();
                ModelWrapper<Model> wrapper =
                        ModelWrapper.fromModel(
                                TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                                Mode.ACTOR)) {
            VectorSchemaRoot batch = rows.next();
            VectorSchemaRoot copy = Roots.slice(batch, 0, batch.getRowCount(), allocator);
            List<Map<String, Object>> scored =
                    Dataset.fromArrowStream(copy.getSchema(), List.of(copy).iterator())
                            .mapBatches(
                                    ModelScorer::new,
                                    ModelScorer.config(wrapper)
                                            .inputColumn("features")
                                            .keepColumns("id")
                                            .build(),
                                    4,
                                    ActorPoolStrategy.size(1))
                            .take(100);
            assertEquals(8, scored.size(), "the model checks its input on the stream's rows");
        }
    }
}
