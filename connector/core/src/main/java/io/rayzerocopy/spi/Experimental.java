package io.rayzerocopy.spi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An interface or class of the engine SPI that may still change in a minor release: methods may be
 * added (with defaults where callers implement it), renamed or removed, and the change is listed in
 * the release notes. Engines written against it should build against the release they ship with.
 * Compare {@link Stable}, and Spark's {@code @Evolving} / {@code @Experimental} tags.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.CONSTRUCTOR, ElementType.FIELD})
public @interface Experimental {}
