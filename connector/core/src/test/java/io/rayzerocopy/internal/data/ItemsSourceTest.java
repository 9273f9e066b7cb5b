package io.rayzerocopy.internal.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

class ItemsSourceTest {

    @Test
    void infersTypesAndKeepsValues() {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Map<String, Object> row = new HashMap<>();
            row.put("i", i);
            row.put("s", i == 2 ? null : "s" + i);
            row.put("v", new float[] {i, -i});
            row.put("ragged", new double[i % 2 + 1]);
            row.put("tags", List.of("a" + i));
            row.put("b", new byte[] {(byte) i});
            items.add(row);
        }
        ItemsSource source = ItemsSource.of(items);
        Schema schema = source.schema();

        assertEquals(new ArrowType.Int(32, true), schema.findField("i").getType());
        assertEquals(ArrowType.Utf8.INSTANCE, schema.findField("s").getType());
        assertEquals(new ArrowType.FixedSizeList(2), schema.findField("v").getType());
        assertEquals(
                new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE),
                schema.findField("v").getChildren().get(0).getType());
        assertEquals(ArrowType.List.INSTANCE, schema.findField("ragged").getType());
        assertEquals(ArrowType.List.INSTANCE, schema.findField("tags").getType());
        try (RootAllocator allocator = new RootAllocator()) {
            List<RowRange> ranges = new ArrayList<>();
            List<List<Object>> rows =
                    ArrowTestRows.readAll(
                            source.select(List.of("i", "s", "v", "ragged", "tags", "b")),
                            allocator,
                            2,
                            ranges);
            assertEquals(
                    Arrays.asList(
                            2,
                            null,
                            List.of(2f, -2f),
                            List.of(0.0),
                            List.of("a2"),
                            List.of((byte) 2)),
                    rows.get(2));
            assertEquals(
                    List.of(
                            new RowRange("items", 0, 2),
                            new RowRange("items", 2, 2),
                            new RowRange("items", 4, 1)),
                    ranges);
        }
    }

    @Test
    void conflictingOrUnknowableTypesAreNamed() {
        String conflict =
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ItemsSource.of(List.of(Map.of("x", 1), Map.of("x", 2L))))
                        .getMessage();
        assertTrue(
                conflict.contains("'x'")
                        && conflict.contains("Integer")
                        && conflict.contains("Long")
                        && conflict.contains("item 1"),
                conflict);
        Map<String, Object> nullValue = new HashMap<>();
        nullValue.put("y", null);
        String allNull =
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ItemsSource.of(List.of(nullValue)))
                        .getMessage();
        assertTrue(allNull.contains("'y'") && allNull.contains("null in every item"), allNull);
        String unsupported =
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ItemsSource.of(List.of(Map.of("z", new Object()))))
                        .getMessage();
        assertTrue(
                unsupported.contains("'z'") && unsupported.contains("java.lang.Object"),
                unsupported);
    }
}
