package io.rayzerocopy.internal.storage;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Where a job's data lives: a plain path or {@code file:} URI is a local file, read and written
 * with {@code java.nio} as always; any other {@code scheme://} URI ({@code hdfs://}, {@code
 * s3a://}, {@code abfs://}, ...) goes through Hadoop's {@link FileSystem} with the process's
 * Hadoop configuration ({@link #conf()}).
 *
 * <p>Locations are strings. A local one is kept as its absolute, normalized path (as every record
 * and message named it before URIs were accepted); a remote one as its qualified URI. Messages
 * name locations through {@link #mask}, which hides credentials written into a URI.
 */
public final class Storage {
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");
    private static final Pattern USER_INFO =
            Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\\s]+@");

    private static final String CANNOT_CONNECT = "cannot connect to the endpoint";

    /** The artifact that brings each well-known scheme's file system. */
    private static final Map<String, String> ARTIFACTS =
            Map.of(
                    "s3a", "org.apache.hadoop:hadoop-aws (and the AWS SDK v2 modules it needs)",
                    "abfs", "org.apache.hadoop:hadoop-azure",
                    "abfss", "org.apache.hadoop:hadoop-azure",
                    "wasb", "org.apache.hadoop:hadoop-azure",
                    "wasbs", "org.apache.hadoop:hadoop-azure",
                    "gs", "com.google.cloud.bigdataoss:gcs-connector (shaded)",
                    "oss", "org.apache.hadoop:hadoop-aliyun");

    /**
     * Client settings that keep a dead endpoint from holding a job for minutes: Hadoop's defaults
     * retry a refused NameNode connection 10 times per call and S3A's an unreachable endpoint for
     * many minutes. Applied unless a site file or the caller sets the key.
     */
    private static final Map<String, String> BOUNDED_RETRIES =
            Map.ofEntries(
                    Map.entry("ipc.client.connect.max.retries", "2"),
                    Map.entry("ipc.client.connect.max.retries.on.timeouts", "2"),
                    Map.entry("ipc.client.connect.retry.interval", "500"),
                    Map.entry("ipc.client.connect.timeout", "5000"),
                    Map.entry("ipc.client.rpc-timeout.ms", "120000"),
                    Map.entry("fs.s3a.attempts.maximum", "2"),
                    Map.entry("fs.s3a.retry.limit", "2"),
                    Map.entry("fs.s3a.retry.interval", "500ms"),
                    Map.entry("fs.s3a.retry.throttle.limit", "3"),
                    Map.entry("fs.s3a.connection.establish.timeout", "5s"),
                    Map.entry("fs.s3a.connection.timeout", "60s"));

    private static final Map<String, String> SETTINGS = new TreeMap<>();
    private static final Map<URI, FileSystem> FILE_SYSTEMS = new HashMap<>();
    private static Configuration conf;

    private Storage() {}

    /**
     * Adds Hadoop settings ({@code fs.s3a.endpoint=...}) for every later file system of this
     * process; they take precedence over {@code HADOOP_CONF_DIR}'s site files. A key given again
     * takes the new value.
     */
    public static synchronized void configure(Map<String, String> settings) {
        Map<String, String> before = new TreeMap<>(SETTINGS);
        SETTINGS.putAll(settings);
        if (SETTINGS.equals(before)) {
            return;
        }
        conf = null;
        // Built with the old settings: later calls get new ones. Open streams keep theirs.
        FILE_SYSTEMS.clear();
    }

    /** The settings given to {@link #configure}, to ship to other processes of a job. */
    public static synchronized Map<String, String> settings() {
        return new LinkedHashMap<>(SETTINGS);
    }

    /**
     * The Hadoop configuration: Hadoop's defaults, {@code core-site.xml} and {@code hdfs-site.xml}
     * from {@code HADOOP_CONF_DIR}, bounded client retries, then the {@link #configure}d settings.
     */
    public static synchronized Configuration conf() {
        if (conf == null) {
            Configuration built = new Configuration();
            String dir = System.getenv("HADOOP_CONF_DIR");
            if (dir != null && !dir.isBlank()) {
                for (String site : new String[] {"core-site.xml", "hdfs-site.xml"}) {
                    File file = new File(dir, site);
                    if (file.isFile()) {
                        built.addResource(new org.apache.hadoop.fs.Path(file.toURI()));
                    }
                }
            }
            for (Map.Entry<String, String> bound : BOUNDED_RETRIES.entrySet()) {
                if (!setBySite(built, bound.getKey())) {
                    built.set(bound.getKey(), bound.getValue(), "rzc bounded retries");
                }
            }
            SETTINGS.forEach((k, v) -> built.set(k, v, "rzc settings"));
            conf = built;
        }
        return new Configuration(conf);
    }

    /** Whether {@code key} is set by a source other than Hadoop's defaults. */
    static boolean setBySite(Configuration built, String key) {
        String[] sources = built.getPropertySources(key);
        if (sources == null) {
            return false;
        }
        for (String source : sources) {
            if (!source.endsWith("-default.xml")) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code location} is a local file: a plain path or a {@code file:} URI. */
    public static boolean isLocal(String location) {
        return !SCHEME.matcher(location).matches() || location.startsWith("file:");
    }

    /** The local path of a local location (a plain path or {@code file:} URI). */
    public static Path localPath(String location) {
        if (!location.startsWith("file:")) {
            return Paths.get(location);
        }
        try {
            return Paths.get(new URI(location));
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "not a file URI: " + location + "; write file:///absolute/path or a plain path",
                    e);
        }
    }

    /** The location in canonical form: a local path absolute and normalized; a URI as given. */
    public static String normalize(String location) {
        if (isLocal(location)) {
            return localPath(location).toAbsolutePath().normalize().toString();
        }
        return hadoopPath(location).toString();
    }

    /** The Hadoop path of a remote location. */
    public static org.apache.hadoop.fs.Path hadoopPath(String location) {
        try {
            return new org.apache.hadoop.fs.Path(new URI(location));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(
                    "not a valid URI: " + mask(location) + " (" + e.getReason() + ")", e);
        }
    }

    /**
     * The file system of a remote location.
     *
     * @throws IllegalArgumentException if no file system serves its scheme (naming the artifact
     *     that brings it) or the URI lacks what the file system needs
     */
    public static FileSystem fileSystem(String location) {
        URI uri = hadoopPath(location).toUri();
        URI key = URI.create(uri.getScheme() + "://" + nullToEmpty(uri.getRawAuthority()) + "/");
        synchronized (Storage.class) {
            FileSystem cached = FILE_SYSTEMS.get(key);
            if (cached != null) {
                return cached;
            }
        }
        try {
            FileSystem fs = FileSystem.newInstance(uri, conf());
            synchronized (Storage.class) {
                FileSystem raced = FILE_SYSTEMS.putIfAbsent(key, fs);
                return raced != null ? raced : fs;
            }
        } catch (UnsupportedFileSystemException e) {
            throw missingFileSystem(location, uri.getScheme(), e);
        } catch (RuntimeException e) {
            if (rootCause(e) instanceof ClassNotFoundException) {
                throw missingFileSystem(location, uri.getScheme(), e);
            }
            throw new IllegalArgumentException(
                    "cannot reach " + mask(location) + ": " + mask(String.valueOf(e.getMessage())),
                    e);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot reach " + mask(location) + ": " + describe(e), e);
        }
    }

    private static IllegalArgumentException missingFileSystem(
            String location, String scheme, Exception cause) {
        String artifact = ARTIFACTS.get(scheme);
        return new IllegalArgumentException(
                "no file system for "
                        + scheme
                        + ":// ("
                        + mask(location)
                        + "): "
                        + (artifact != null
                                ? "put " + artifact + " on the classpath"
                                : scheme.equals("s3") || scheme.equals("s3n")
                                        ? "write s3a:// (Hadoop's S3 client)"
                                        : "use a plain path, file://, hdfs://, s3a://, abfs://,"
                                                + " gs:// or another scheme whose Hadoop file"
                                                + " system is on the classpath"),
                cause);
    }

    /**
     * Size and modification time of a file, which identify its content for a resumed job: {@code
     * size=<bytes> modified=<instant>}.
     *
     * @throws UncheckedIOException if the file cannot be read
     */
    public static String fingerprint(String file) {
        try {
            long size;
            Instant modified;
            if (isLocal(file)) {
                Path local = localPath(file);
                size = Files.size(local);
                modified = Files.getLastModifiedTime(local).toInstant();
            } else {
                FileStatus status = fileSystem(file).getFileStatus(hadoopPath(file));
                size = status.getLen();
                modified = Instant.ofEpochMilli(status.getModificationTime());
            }
            return "size=" + size + " modified=" + modified;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read the attributes of " + mask(file) + ": " + describe(e), e);
        }
    }

    /** {@code text} with the credentials of any URI in it ({@code s3a://key:secret@b}) hidden. */
    public static String mask(String text) {
        return text == null ? null : USER_INFO.matcher(text).replaceAll("$1***@");
    }

    /** The first line of an I/O failure, credentials masked: the system's reason, not a trace. */
    public static String describe(Throwable e) {
        String known = objectStoreReason(e);
        if (known != null) {
            return known;
        }
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        int newline = message.indexOf('\n');
        return mask(newline < 0 ? message : message.substring(0, newline));
    }

    /** Whether {@code e} says that an object store's endpoint could not be connected to. */
    public static boolean isUnreachable(Throwable e) {
        String reason = objectStoreReason(e);
        return reason != null && reason.startsWith(CANNOT_CONNECT);
    }

    /**
     * What an object store's refusal means and how to fix it, for the failures S3A reports with a
     * page of SDK detail; {@code null} for any other failure. (By class name: hadoop-aws is the
     * user's to bring, not a dependency of ours.)
     */
    public static String objectStoreReason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String type = t.getClass().getName();
            if (type.equals("org.apache.hadoop.fs.s3a.UnknownStoreException")
                    || type.endsWith(".NoSuchBucketException")) {
                return "the bucket does not exist: create it, or fix the bucket name or"
                        + " fs.s3a.endpoint";
            }
            if (type.endsWith(".NoAuthWithAWSException")) {
                return "no AWS credentials found: set fs.s3a.access.key and fs.s3a.secret.key,"
                        + " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or"
                        + " fs.s3a.aws.credentials.provider";
            }
            if (type.startsWith("org.apache.hadoop.fs.s3a.") || type.startsWith("software.amazon")) {
                if (t instanceof java.nio.file.AccessDeniedException
                        || String.valueOf(t.getMessage()).contains("403")) {
                    return "access denied: check the credentials (fs.s3a.access.key and"
                            + " fs.s3a.secret.key, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,"
                            + " or fs.s3a.aws.credentials.provider) and the bucket's policy";
                }
                if (t instanceof java.net.ConnectException
                        || String.valueOf(t.getMessage()).contains("Connection refused")
                        || String.valueOf(t.getMessage()).contains("Unable to execute HTTP")) {
                    return CANNOT_CONNECT + ": check fs.s3a.endpoint and that the service runs";
                }
            }
        }
        return null;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
