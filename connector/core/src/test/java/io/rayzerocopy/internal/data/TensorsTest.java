package io.rayzerocopy.internal.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

class TensorsTest {
    private BufferAllocator allocator;
    private NDManager manager;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterEach
    void tearDown() {
        manager.close();
        allocator.close();
    }

    @Test
    void fixedSizeListBecomesRowsByDimAndOutlivesTheBatch() {
        NDArray array;
        try (VectorSchemaRoot root = ParquetSinkTest.embeddings(5, 3)) {
            array = Tensors.toNDArray(root, "emb", manager);
        }
        assertEquals(new Shape(5, 3), array.getShape());
        assertEquals(DataType.FLOAT32, array.getDataType());
        float[] expected = new float[15];
        for (int r = 0; r < 5; r++) {
            for (int j = 0; j < 3; j++) {
                expected[r * 3 + j] = r + j * 0.5f;
            }
        }
        assertArrayEquals(expected, array.toFloatArray());
    }

    @Test
    void equalLengthListOfDoublesBecomesFloat64() {
        try (ListVector list = ListVector.empty("v", allocator)) {
            UnionListWriter writer = list.getWriter();
            for (int r = 0; r < 3; r++) {
                writer.setPosition(r);
                writer.startList();
                writer.float8().writeFloat8(r);
                writer.float8().writeFloat8(r + 0.5);
                writer.endList();
            }
            writer.setValueCount(3);
            VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(list));
            root.setRowCount(3);
            NDArray array = Tensors.toNDArray(root, "v", manager);
            assertEquals(new Shape(3, 2), array.getShape());
            assertArrayEquals(new double[] {0, 0.5, 1, 1.5, 2, 2.5}, array.toDoubleArray());
        }
    }

    @Test
    void viewSharesTheColumnsMemory() {
        try (VectorSchemaRoot root = ParquetSinkTest.embeddings(5, 3);
                NDManager batch = manager.newSubManager()) {
            NDArray view = Tensors.view(root, "emb", batch);
            assertEquals(new Shape(5, 3), view.getShape());
            assertEquals(2.5f, view.getFloat(2, 1));
            Float4Vector values =
                    (Float4Vector) ((FixedSizeListVector) root.getVector("emb")).getDataVector();
            values.set(2 * 3 + 1, 42f);
            assertEquals(42f, view.getFloat(2, 1), "a view reads the column, not a copy of it");
        }
    }

    @Test
    void nullsAreFoundAtEveryBitPositionOfTheValidityWords() {
        for (int rows : new int[] {1, 63, 64, 65, 130, 300}) {
            for (int from : new int[] {0, 1, 7, 64}) {
                try (Float4Vector v = new Float4Vector("v", allocator)) {
                    v.allocateNew(rows + from);
                    for (int i = 0; i < rows + from; i++) {
                        v.set(i, i);
                    }
                    v.setValueCount(rows + from);
                    assertTrue(Tensors.allValid(v, from, rows));
                    for (int nul : new int[] {from, from + rows / 2, from + rows - 1}) {
                        v.setNull(nul);
                        assertTrue(!Tensors.allValid(v, from, rows), rows + "/" + from + "/" + nul);
                        v.set(nul, 1f);
                    }
                    if (from > 0) {
                        v.setNull(from - 1);
                        assertTrue(Tensors.allValid(v, from, rows), "a null before the range");
                    }
                }
            }
        }
    }

    @Test
    void raggedListNamesTheRow() {
        try (ListVector list = ListVector.empty("v", allocator)) {
            UnionListWriter writer = list.getWriter();
            for (int r = 0; r < 3; r++) {
                writer.setPosition(r);
                writer.startList();
                for (int j = 0; j < (r == 2 ? 1 : 2); j++) {
                    writer.float4().writeFloat4(j);
                }
                writer.endList();
            }
            writer.setValueCount(3);
            VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(list));
            root.setRowCount(3);
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> Tensors.toNDArray(root, "v", manager));
            assertTrue(
                    e.getMessage().contains("'v' is ragged")
                            && e.getMessage().contains("row 2 of the batch has 1 values"),
                    e.getMessage());
            VectorSchemaRoot fromFile =
                    BatchMetadata.withOrigin(root, new RowRange("/data/f.parquet", 1000, 3));
            String inFile =
                    assertThrows(
                                    IllegalArgumentException.class,
                                    () -> Tensors.toNDArray(fromFile, "v", manager))
                            .getMessage();
            assertTrue(inFile.contains("row 1002 of /data/f.parquet has 1 values"), inFile);
        }
    }

    @Test
    void severalNumericColumnsBecomeOneFloatMatrix() {
        try (IntVector a = new IntVector("a", allocator);
                Float8Vector b = new Float8Vector("b", allocator);
                BigIntVector c = new BigIntVector("c", allocator)) {
            for (int r = 0; r < 4; r++) {
                a.setSafe(r, r);
                b.setSafe(r, r * 0.5);
                c.setSafe(r, 100L + r);
            }
            VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(a, b, c));
            root.setRowCount(4);
            NDArray array = Tensors.toNDArray(root, List.of("c", "a", "b"), manager);
            assertEquals(new Shape(4, 3), array.getShape());
            assertEquals(DataType.FLOAT32, array.getDataType());
            assertArrayEquals(
                    new float[] {100, 0, 0, 101, 1, 0.5f, 102, 2, 1, 103, 3, 1.5f},
                    array.toFloatArray());
            NDArray single = Tensors.toNDArray(root, "c", manager);
            assertEquals(DataType.INT64, single.getDataType());
            assertArrayEquals(new long[] {100, 101, 102, 103}, single.toLongArray());
        }
    }

    @Test
    void errorsNameTheColumnAndWhatIsWrong() {
        try (VarCharVector s = new VarCharVector("name", allocator);
                Float4Vector f = new Float4Vector("score", allocator)) {
            s.setSafe(0, "x".getBytes());
            f.setSafe(0, 1f);
            f.setNull(1);
            s.setSafe(1, "y".getBytes());
            VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(s, f));
            root.setRowCount(2);

            String missing =
                    assertThrows(
                                    IllegalArgumentException.class,
                                    () -> Tensors.toNDArray(root, "features", manager))
                            .getMessage();
            assertTrue(missing.contains("'features'") && missing.contains("name, score"), missing);
            String type =
                    assertThrows(
                                    IllegalArgumentException.class,
                                    () -> Tensors.toNDArray(root, "name", manager))
                            .getMessage();
            assertTrue(type.contains("'name'") && type.contains("Utf8"), type);
            String nulls =
                    assertThrows(
                                    IllegalArgumentException.class,
                                    () -> Tensors.toNDArray(root, "score", manager))
                            .getMessage();
            assertTrue(nulls.contains("'score'") && nulls.contains("row 1"), nulls);
        }
    }

    @Test
    void arraysBecomeColumns() {
        NDArray matrix =
                manager.create(
                        new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14},
                        new Shape(7, 2));
        try (FieldVector vector = Tensors.toVector("p", matrix, allocator)) {
            FixedSizeListVector list = (FixedSizeListVector) vector;
            assertEquals(7, list.getValueCount());
            assertEquals(2, list.getListSize());
            assertEquals(0, list.getNullCount());
            assertEquals(List.of(13f, 14f), list.getObject(6));
            assertEquals(0, list.getDataVector().getNullCount());
        }
        try (FieldVector vector =
                Tensors.toVector("d", manager.create(new double[] {1.5, -2}), allocator)) {
            assertEquals(
                    List.of(1.5, -2.0),
                    List.of(((Float8Vector) vector).get(0), ((Float8Vector) vector).get(1)));
        }
        try (FieldVector vector =
                Tensors.toVector("l", manager.create(new long[] {7, 8, 9}), allocator)) {
            assertEquals(9L, ((BigIntVector) vector).get(2));
            assertEquals(0, vector.getNullCount());
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> Tensors.toVector("x", manager.ones(new Shape(2, 2, 2)), allocator));
    }

    @Test
    void integerListsStayIntegersAndOutputsOfEveryTypeBecomeColumns() {
        try (ListVector list = ListVector.empty("ids", allocator)) {
            UnionListWriter writer = list.getWriter();
            for (int r = 0; r < 2; r++) {
                writer.setPosition(r);
                writer.startList();
                writer.bigInt().writeBigInt(10L * r);
                writer.bigInt().writeBigInt(10L * r + 1);
                writer.endList();
            }
            writer.setValueCount(2);
            VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(list));
            root.setRowCount(2);
            NDArray ids = Tensors.toNDArray(root, "ids", manager);
            assertEquals(DataType.INT64, ids.getDataType());
            assertArrayEquals(new long[] {0, 1, 10, 11}, ids.toLongArray());
        }
        NDArray topK = manager.create(new long[] {3, 1, 0, 2}, new Shape(2, 2));
        try (FieldVector vector = Tensors.toVector("top", topK, allocator)) {
            assertEquals(List.of(0L, 2L), vector.getObject(1), "2-D int64: list of int64");
        }
        NDArray half = manager.create(new float[] {0.5f, -1.25f}).toType(DataType.FLOAT16, false);
        try (FieldVector vector = Tensors.toVector("h", half, allocator)) {
            assertEquals(-1.25f, ((Float4Vector) vector).get(1), "float16 becomes float32");
        }
        NDArray flags = manager.create(new boolean[] {true, false, true});
        try (FieldVector vector = Tensors.toVector("b", flags, allocator)) {
            assertEquals(
                    List.of(true, false, true),
                    List.of(vector.getObject(0), vector.getObject(1), vector.getObject(2)));
        }
        NDArray bytes = manager.create(new byte[] {-3, 4}).toType(DataType.INT8, false);
        try (FieldVector vector = Tensors.toVector("i8", bytes, allocator)) {
            assertEquals(-3, ((IntVector) vector).get(0), "int8 becomes int32");
        }
    }

    @Test
    void nonFiniteValuesAreCountedWithTheirFirstRow() {
        try (VectorSchemaRoot root = ParquetSinkTest.embeddings(5, 3);
                Float8Vector d = new Float8Vector("d", allocator);
                BigIntVector i = new BigIntVector("i", allocator)) {
            FixedSizeListVector emb = (FixedSizeListVector) root.getVector("emb");
            Float4Vector values = (Float4Vector) emb.getDataVector();
            values.set(3 * 2 + 1, Float.NaN);
            values.set(3 * 4, Float.NEGATIVE_INFINITY);
            assertEquals(new Tensors.NonFinite(2, 2), Tensors.nonFinite(root, "emb"));
            for (int r = 0; r < 3; r++) {
                d.setSafe(r, r == 1 ? Double.POSITIVE_INFINITY : r);
                i.setSafe(r, r);
            }
            VectorSchemaRoot scalars = new VectorSchemaRoot(List.<FieldVector>of(d, i));
            scalars.setRowCount(3);
            assertEquals(new Tensors.NonFinite(1, 1), Tensors.nonFinite(scalars, "d"));
            assertEquals(new Tensors.NonFinite(0, -1), Tensors.nonFinite(scalars, "i"));
        }
    }
}
