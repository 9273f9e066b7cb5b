package io.rayzerocopy.spark.internal.compat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

/**
 * The Spark line this jar was built for (one jar per line: docs/spark.md "Spark lines"), and the
 * checks, before any work, that the Spark it runs on is of that line and that the Arrow and
 * Parquet it finds are not older than core calls.
 */
public final class SparkLine {
    private static final Properties BUILT = load("spark-line.properties");

    /** A library core needs at a version that some Spark lines ship older. */
    private record Newer(String library, String version, String newClass, String anyClass) {}

    // Spark 3.5 ships Arrow 12 and Parquet 1.13, 4.0 Parquet 1.15: ahead of ours on a classpath,
    // core fails mid-job with a NoSuchMethodError (measured).
    private static final List<Newer> NEWER =
            List.of(
                    new Newer(
                            "Arrow",
                            "18",
                            "org.apache.arrow.vector.ViewVarCharVector",
                            "org.apache.arrow.vector.VectorSchemaRoot"),
                    new Newer(
                            "Parquet",
                            "1.16",
                            "org.apache.parquet.column.statistics.geospatial.GeospatialStatistics",
                            "org.apache.parquet.column.ColumnDescriptor"));

    private SparkLine() {}

    /** E.g. {@code Spark 3.5 (Scala 2.12)}. */
    public static String describe() {
        return "Spark " + minor(BUILT.getProperty("spark.version")) + " (Scala " + scala() + ")";
    }

    /** The Spark SQL artifact of the line, e.g. {@code org.apache.spark:spark-sql_2.12:3.5.x}. */
    public static String sqlArtifact() {
        return artifact("spark-sql");
    }

    /**
     * Spark's artifact {@code name} of the line, e.g. {@code
     * org.apache.spark:spark-yarn_2.13:4.1.x}.
     */
    public static String artifact(String name) {
        return "org.apache.spark:"
                + name
                + "_"
                + scala()
                + ":"
                + minor(BUILT.getProperty("spark.version"))
                + ".x";
    }

    /**
     * @throws IllegalArgumentException naming both lines and the jar to use, if the Spark and Scala
     *     on the classpath are not of the line this jar was built for (they would fail mid-job), or
     *     naming the jar that brought them and the fix, if the Arrow or Parquet found is older
     *     than core calls
     */
    public static void requireRunning() {
        String spark = minor(load("/spark-version-info.properties").getProperty("version", "?"));
        String scalaRunning = minor(scala.util.Properties.versionNumberString());
        if (!spark.equals(minor(BUILT.getProperty("spark.version")))
                || !scalaRunning.equals(scala())) {
            String line = "spark" + spark + "_" + scalaRunning;
            throw new IllegalArgumentException(
                    "this ray-zerocopy-spark jar is built for "
                            + describe()
                            + " but Spark "
                            + spark
                            + " (Scala "
                            + scalaRunning
                            + ") runs: use the jar of that line (classifier "
                            + line
                            + ", or rzc-spark-"
                            + line
                            + ".jar; docs/spark.md, Spark lines)");
        }
        NEWER.forEach(SparkLine::requireNewer);
    }

    /**
     * The class only new versions have must come from the jar of the class all versions have: with
     * an old jar ahead of ours, the old one's classes load first and ours only fill the gaps.
     */
    private static void requireNewer(Newer newer) {
        Class<?> any = find(newer.anyClass());
        Class<?> added = find(newer.newClass());
        if (added == null || !Objects.equals(origin(added), origin(any))) {
            throw new IllegalArgumentException(
                    "the "
                            + newer.library()
                            + " on the classpath ("
                            + (any == null ? "not found" : origin(any))
                            + ") is older than ray-zerocopy needs ("
                            + newer.version()
                            + "+; Spark 3.5 and 4.0 ship older ones): put rzc-spark-spark"
                            + minor(BUILT.getProperty("spark.version"))
                            + "_"
                            + scala()
                            + ".jar before Spark's jars (spark-submit --driver-class-path <jar>"
                            + " --conf spark.executor.extraClassPath=<jar>; docs/spark.md, Spark"
                            + " lines)");
        }
    }

    private static Object origin(Class<?> c) {
        return c == null || c.getProtectionDomain().getCodeSource() == null
                ? null
                : c.getProtectionDomain().getCodeSource().getLocation();
    }

    private static Class<?> find(String name) {
        try {
            return Class.forName(name, false, SparkLine.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    private static String scala() {
        return BUILT.getProperty("scala.binary.version");
    }

    private static String minor(String version) {
        String[] parts = version.split("\\.");
        return parts.length < 2 ? version : parts[0] + "." + parts[1];
    }

    private static Properties load(String resource) {
        Properties properties = new Properties();
        try (InputStream in = SparkLine.class.getResourceAsStream(resource)) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource + ": " + e, e);
        }
        return properties;
    }
}
