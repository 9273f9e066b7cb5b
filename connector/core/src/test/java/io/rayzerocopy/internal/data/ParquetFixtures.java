package io.rayzerocopy.internal.data;

import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Parquet files written and read by parquet-mr's example object model, independent of ours. */
public final class ParquetFixtures {
    /** Every supported type, nullable and required, with 3-level lists. */
    public static final MessageType ALL_TYPES =
            MessageTypeParser.parseMessageType(
                    """
                    message fixture {
                      required int32 i;
                      optional int64 l;
                      optional float f;
                      required double d;
                      optional boolean b;
                      optional binary s (STRING);
                      optional binary raw;
                      optional group fl (LIST) { repeated group list { optional float element; } }
                      required group dl (LIST) { repeated group list { required double element; } }
                    }
                    """);

    private ParquetFixtures() {}

    /**
     * Writes {@code rows} rows of {@link #ALL_TYPES}; row {@code r} holds values derived from
     * {@code r} (see {@link #expectedRow}) with nulls on a pattern. Small row groups and pages, so
     * reads cross row-group boundaries.
     */
    public static void writeAllTypes(Path file, int rows) throws IOException {
        writeAllTypes(file, rows, ParquetProperties.WriterVersion.PARQUET_1_0, true);
    }

    /** As {@link #writeAllTypes(Path, int)}, with a page format and dictionary choice. */
    public static void writeAllTypes(
            Path file, int rows, ParquetProperties.WriterVersion version, boolean dictionary)
            throws IOException {
        SimpleGroupFactory groups = new SimpleGroupFactory(ALL_TYPES);
        try (ParquetWriter<Group> writer =
                ExampleParquetWriter.builder(new LocalOutputFile(file))
                        .withType(ALL_TYPES)
                        .withRowGroupSize(2048L)
                        .withPageSize(512)
                        .withWriterVersion(version)
                        .withDictionaryEncoding(dictionary)
                        .build()) {
            for (int r = 0; r < rows; r++) {
                Group g = groups.newGroup();
                g.add("i", r);
                if (r % 3 != 0) {
                    g.add("l", 1_000_000_000_000L + r);
                }
                if (r % 4 != 1) {
                    g.add("f", r * 0.5f);
                }
                g.add("d", r * 0.25);
                if (r % 5 != 2) {
                    g.add("b", r % 2 == 0);
                }
                if (r % 6 != 3) {
                    g.add("s", "row-" + r);
                }
                if (r % 7 != 4) {
                    g.add(
                            "raw",
                            org.apache.parquet.io.api.Binary.fromConstantByteArray(
                                    new byte[] {(byte) r, (byte) (r >> 8), 0, -1}));
                }
                if (r % 8 != 5) {
                    Group list = g.addGroup("fl");
                    for (int j = 0; j < r % 4; j++) {
                        Group element = list.addGroup("list");
                        if (j != 1 || r % 3 != 0) {
                            element.add("element", r + j / 10f);
                        }
                    }
                }
                Group dl = g.addGroup("dl");
                for (int j = 0; j < 3; j++) {
                    dl.addGroup("list").add("element", r * 10.0 + j);
                }
                writer.write(g);
            }
        }
    }

    /**
     * Row {@code r} of {@link #writeAllTypes} as Arrow's {@code getObject} strings would show it.
     */
    public static List<Object> expectedRow(int r) {
        List<Object> row = new ArrayList<>();
        row.add(r);
        row.add(r % 3 != 0 ? 1_000_000_000_000L + r : null);
        row.add(r % 4 != 1 ? r * 0.5f : null);
        row.add(r * 0.25);
        row.add(r % 5 != 2 ? r % 2 == 0 : null);
        row.add(r % 6 != 3 ? "row-" + r : null);
        row.add(r % 7 != 4 ? List.of((byte) r, (byte) (r >> 8), (byte) 0, (byte) -1) : null);
        if (r % 8 != 5) {
            List<Float> list = new ArrayList<>();
            for (int j = 0; j < r % 4; j++) {
                list.add(j != 1 || r % 3 != 0 ? r + j / 10f : null);
            }
            row.add(list);
        } else {
            row.add(null);
        }
        row.add(List.of(r * 10.0, r * 10.0 + 1, r * 10.0 + 2));
        return row;
    }

    /**
     * Writes {@code id} (int64, from {@code firstId}) and {@code features} rows as another tool
     * (Spark, Hive) does: a 3-level {@code list<float>} without our fixed-size mark, so the width
     * of a row is known only from its values. No rows gives a file with a footer and no row group.
     */
    public static void writeFeatures(Path file, long firstId, float[][] rows) throws IOException {
        MessageType schema =
                MessageTypeParser.parseMessageType(
                        """
                        message spark_schema {
                          required int64 id;
                          optional group features (LIST) {
                            repeated group list { optional float element; }
                          }
                        }
                        """);
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer =
                ExampleParquetWriter.builder(new LocalOutputFile(file)).withType(schema).build()) {
            for (int r = 0; r < rows.length; r++) {
                Group g = groups.newGroup();
                g.add("id", firstId + r);
                Group list = g.addGroup("features");
                for (float value : rows[r]) {
                    list.addGroup("list").add("element", value);
                }
                writer.write(g);
            }
        }
    }

    /** All records of {@code file}, read with parquet-mr's own example reader. */
    public static List<Group> readWithParquetMr(Path file) throws IOException {
        List<Group> records = new ArrayList<>();
        ParquetReader.Builder<Group> builder =
                new ParquetReader.Builder<>(new LocalInputFile(file)) {
                    @Override
                    protected GroupReadSupport getReadSupport() {
                        return new GroupReadSupport();
                    }
                };
        try (ParquetReader<Group> reader = builder.build()) {
            for (Group g = reader.read(); g != null; g = reader.read()) {
                records.add(g);
            }
        }
        return records;
    }
}
