package io.rayzerocopy.internal.spark.compat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The Spark line this jar was built for (one jar per line: docs/spark.md "Spark lines"), and the
 * check that the Spark it runs on is of that line.
 */
public final class SparkLine {
    private static final Properties BUILT = load("spark-line.properties");

    private SparkLine() {}

    /** E.g. {@code Spark 3.5 (Scala 2.12)}. */
    public static String describe() {
        return "Spark " + minor(BUILT.getProperty("spark.version")) + " (Scala " + scala() + ")";
    }

    /** The Spark SQL artifact of the line, e.g. {@code org.apache.spark:spark-sql_2.12:3.5.x}. */
    public static String sqlArtifact() {
        return "org.apache.spark:spark-sql_"
                + scala()
                + ":"
                + minor(BUILT.getProperty("spark.version"))
                + ".x";
    }

    /**
     * @throws IllegalArgumentException naming both lines and the jar to use, if the Spark and Scala
     *     on the classpath are not of the line this jar was built for (they would fail mid-job)
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
