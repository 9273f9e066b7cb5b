package io.rayzerocopy.internal.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.ParquetReadOptions.PartitionType;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Partition discovery, Hive's escaping and the filter language on paths alone: Spark's inference
 * and widening rules value by value, and the filter's precedence and three-valued logic.
 */
class PartitionsTest {
    private static Partitions discover(Map<String, PartitionType> forced, String... dirs) {
        List<Partitions.Located> files = new ArrayList<>();
        for (String dir : dirs) {
            files.add(new Partitions.Located("/t/" + dir + "/part-0.parquet", "/t"));
        }
        return Partitions.discover(files, forced);
    }

    private static PartitionType typeOf(String... values) {
        String[] dirs = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            dirs[i] = "k=" + values[i];
        }
        return discover(Map.of(), dirs).column("k").type();
    }

    @Test
    void typesAreInferredAndWidenedAsSparkDoes() {
        assertEquals(PartitionType.INT, typeOf("1", "-2", "007"));
        assertEquals(PartitionType.LONG, typeOf("1", "3000000000"));
        assertEquals(PartitionType.DOUBLE, typeOf("1", "2.5"));
        assertEquals(PartitionType.STRING, typeOf("3000000000", "2.5"), "long and double");
        assertEquals(PartitionType.DATE, typeOf("2026-12-01", "2026-02-28"));
        assertEquals(PartitionType.STRING, typeOf("2026-12-01", "7"), "date and int");
        assertEquals(PartitionType.STRING, typeOf("2026-13-01"), "not a date");
        assertEquals(PartitionType.INT, typeOf("__HIVE_DEFAULT_PARTITION__", "5"));
        assertEquals(PartitionType.STRING, typeOf("__HIVE_DEFAULT_PARTITION__"), "nulls only");
        assertEquals(PartitionType.STRING, typeOf("99999999999999999999"), "past long: decimal");
        assertEquals(PartitionType.STRING, typeOf("eu", "us"));
        Partitions forced = discover(Map.of("k", PartitionType.STRING), "k=007");
        assertEquals("007", forced.values("/t/k=007/x.parquet").get("k"));
    }

    @Test
    void valuesAreDecodedFromTheirDirectories() {
        Partitions p = discover(Map.of(), "d=2026-12-01/s=a%2Fb%3Dc", "d=__HIVE_DEFAULT_PARTITION__/s=100%");
        Map<String, Object> first = p.values("/t/d=2026-12-01/s=a%2Fb%3Dc/part-0.parquet");
        assertEquals(LocalDate.of(2026, 12, 1), first.get("d"));
        assertEquals("a/b=c", first.get("s"));
        Map<String, Object> second = p.values("/t/d=__HIVE_DEFAULT_PARTITION__/s=100%/part-0.parquet");
        assertEquals(null, second.get("d"));
        assertEquals("100%", second.get("s"));
        String odd = "a/b=c:d%e#f\u0001g é";
        assertEquals("a%2Fb%3Dc%3Ad%25e%23f%01g é", HivePaths.escape(odd));
        assertEquals(odd, HivePaths.unescape(HivePaths.escape(odd)));
        assertEquals("k=__HIVE_DEFAULT_PARTITION__", HivePaths.directory("k", ""));
    }

    @Test
    void badLayoutsAreRefusedNamingTheDirectory() {
        IllegalArgumentException empty =
                assertThrows(IllegalArgumentException.class, () -> discover(Map.of(), "k="));
        assertTrue(empty.getMessage().contains("/t/k= has no value after 'k='"), empty.getMessage());
        IllegalArgumentException plain =
                assertThrows(
                        IllegalArgumentException.class, () -> discover(Map.of(), "k=1/extra"));
        assertTrue(plain.getMessage().contains("has the directory 'extra'"), plain.getMessage());
        IllegalArgumentException forced =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> discover(Map.of("j", PartitionType.INT), "k=1"));
        assertTrue(forced.getMessage().contains("'j', which is not a partition column"));
        assertEquals(Partitions.NONE, discover(Map.of(), "a/b"), "plain nested directories");
    }

    private static boolean keep(String expression, Object a, Object b) {
        Partitions p = discover(Map.of(), "a=1/b=x", "a=2/b=y");
        Map<String, Object> values = new HashMap<>();
        values.put("a", a);
        values.put("b", b);
        return PartitionExpression.parse(expression).bind(p).keep(values);
    }

    @Test
    void theFilterLanguageHasSqlPrecedenceAndNullLogic() {
        assertTrue(keep("a = 1 OR a = 2 AND b = 'z'", 1, "x"), "AND binds tighter than OR");
        assertTrue(!keep("(a = 1 OR a = 2) AND b = 'z'", 1, "x"));
        assertTrue(keep("NOT a = 2 and b in ('x', 'it''s')", 1, "x"), "keywords in any case");
        assertTrue(keep("b NOT IN ('y') AND a <> 2 AND a >= 1 AND a < 2", 1, "x"));
        assertTrue(!keep("a != 1", null, "x"), "a null value compares as unknown");
        assertTrue(!keep("NOT (a = 1)", null, "x"), "NOT unknown is unknown");
        assertTrue(keep("a IS NULL OR a = 5", null, "x"));
        assertTrue(keep("a = 1 OR a != 1", 1, null));
        assertTrue(!keep("`b` IS NOT NULL", 1, null));
        IllegalArgumentException nullLiteral =
                assertThrows(IllegalArgumentException.class, () -> keep("a = NULL", 1, "x"));
        assertTrue(nullLiteral.getMessage().contains("write 'column IS NULL'"));
        IllegalArgumentException big =
                assertThrows(IllegalArgumentException.class, () -> keep("a = 3000000000", 1, "x"));
        assertTrue(big.getMessage().contains("'a' is int but is compared with 3000000000"));
        IllegalArgumentException trailing =
                assertThrows(IllegalArgumentException.class, () -> PartitionExpression.parse("a = 1 b"));
        assertTrue(trailing.getMessage().contains("expected AND, OR or the end at position 7"),
                trailing.getMessage());
    }
}
