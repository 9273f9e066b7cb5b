package io.rayzerocopy.internal.data;

import java.net.URI;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a job reads or writes, as a user named it: a local path or a {@code file:} URI. A location
 * with another scheme ({@code hdfs://}, {@code s3a://}) is refused by name, never taken for a local
 * directory called {@code hdfs:}.
 */
public final class Locations {
    /** {@code scheme://…} or {@code file:/…}: RFC 3986 scheme characters, then a colon. */
    private static final Pattern URI_LIKE =
            Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*):(//|/)(.*)$", Pattern.DOTALL);

    private Locations() {}

    /**
     * The local path {@code location} names: itself when it is a plain path, the path of a {@code
     * file:} URI.
     *
     * @param what how the caller names the location in messages ({@code "output"}, {@code
     *     "--model"})
     * @throws IllegalArgumentException if {@code location} is blank or has a scheme other than
     *     {@code file}, naming it and the fix
     */
    public static String localPath(String location, String what) {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException(
                    what
                            + " is empty (an unset variable?): name a file or directory, e.g."
                            + " scores/");
        }
        Matcher uri = URI_LIKE.matcher(location);
        if (!uri.matches() || (uri.group(2).equals("/") && !isFile(uri.group(1)))) {
            return location;
        }
        String scheme = uri.group(1).toLowerCase(Locale.ROOT);
        if (!scheme.equals("file")) {
            throw new IllegalArgumentException(
                    what
                            + " "
                            + location
                            + ": "
                            + scheme
                            + ":// locations are not supported by this version; copy the data to a"
                            + " local path (or a mounted filesystem) and name that path");
        }
        return filePath(location, uri.group(2), uri.group(3), what);
    }

    private static boolean isFile(String scheme) {
        return scheme.equalsIgnoreCase("file");
    }

    /** The path of {@code file:/p}, {@code file:///p} or {@code file://localhost/p}. */
    private static String filePath(String location, String slashes, String rest, String what) {
        String path;
        if (slashes.equals("/")) {
            path = "/" + rest;
        } else if (rest.startsWith("/")) {
            path = rest;
        } else if (rest.startsWith("localhost/")) {
            path = rest.substring("localhost".length());
        } else {
            throw new IllegalArgumentException(
                    what
                            + " "
                            + location
                            + ": a file: URI names a path on this machine (file:///data/x); this"
                            + " one names a host");
        }
        try {
            return path.indexOf('%') < 0 ? path : URI.create("file://" + path).getPath();
        } catch (IllegalArgumentException e) {
            return path;
        }
    }
}
