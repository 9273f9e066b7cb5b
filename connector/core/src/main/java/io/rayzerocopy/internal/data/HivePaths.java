package io.rayzerocopy.internal.data;

import java.util.BitSet;

/**
 * Hive's spelling of partition directories, {@code name=value}: the characters a path cannot hold
 * (and {@code %}, {@code =}) written as {@code %XX}, a null value as {@value #DEFAULT_PARTITION}.
 * Spark, Hive, Trino and DuckDB read and write the same names.
 */
final class HivePaths {
    /** The directory value of a null (or empty) partition value. */
    static final String DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__";

    /** Hive's set: control characters, quotes, and the characters paths and URIs give meaning. */
    private static final BitSet ESCAPED = new BitSet(128);

    static {
        ESCAPED.set(0x01, 0x20);
        ESCAPED.set(0x7F);
        for (char c : "\"#%'*/:=?\\{[]^".toCharArray()) {
            ESCAPED.set(c);
        }
    }

    private HivePaths() {}

    /** {@code text} as a directory name part: escaped characters as {@code %XX}. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 128 && ESCAPED.get(c)) {
                out.append('%').append(String.format("%02X", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The text a directory name part stands for: each {@code %XX} decoded, other text as is. */
    static String unescape(String name) {
        StringBuilder out = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%' && i + 2 < name.length() && isHex(name, i + 1) && isHex(name, i + 2)) {
                out.append((char) Integer.parseInt(name.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The directory {@code name=value} of one partition column; null and "" as the default. */
    static String directory(String name, String value) {
        return escape(name)
                + "="
                + (value == null || value.isEmpty() ? DEFAULT_PARTITION : escape(value));
    }

    private static boolean isHex(String s, int i) {
        return Character.digit(s.charAt(i), 16) >= 0;
    }
}
