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
                    e.getMessage().contains("'v' is ragged") && e.getMessage().contains("row 2"),
                    e.getMessage());
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
}
