package io.rayzerocopy.spark.internal.compat;

import java.util.List;

/**
 * Scala 2.13's view of a Scala {@code Seq} as a {@link List}. One of two implementations (the other
 * is in {@code src/main/scala-2.12}): the build adds the directory of its Scala line, because 2.13's
 * converters ({@code scala.jdk.javaapi}) do not exist in 2.12 and 2.12's are deprecated in 2.13.
 */
public final class ScalaSeqs {
    private ScalaSeqs() {}

    /** A Java view of {@code seq} (no copy). */
    public static <T> List<T> asJava(scala.collection.Seq<T> seq) {
        return scala.jdk.javaapi.CollectionConverters.asJava(seq);
    }
}
