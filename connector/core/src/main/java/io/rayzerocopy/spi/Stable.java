package io.rayzerocopy.spi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An interface or class of the engine SPI that changes only in a major release: within one, code
 * compiled against it keeps compiling and running (new methods of an interface engines implement
 * come with defaults). Compare {@link Experimental}, and Spark's {@code @Stable} tag.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.CONSTRUCTOR, ElementType.FIELD})
public @interface Stable {}
