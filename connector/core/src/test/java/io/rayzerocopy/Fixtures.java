package io.rayzerocopy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;

/**
 * The committed TorchScript fixtures (made by tools/make_fixtures.py) and their Python reference
 * outputs.
 */
public final class Fixtures {
    private Fixtures() {}

    /**
     * Path of a fixture file, e.g. {@code simple_classifier.pt}. Other modules read the fixtures
     * from this module's test jar: those are copied into their own build directory ({@code
     * target/rzc-fixtures}), not /tmp: test JVMs that ended without running their shutdown hooks
     * left one /tmp directory per build behind.
     */
    public static synchronized Path path(String name) {
        URL url = Fixtures.class.getResource("/fixtures/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test fixture " + name);
        }
        try {
            if (url.getProtocol().equals("file")) {
                return Paths.get(url.toURI());
            }
            Path dir = Files.createDirectories(Paths.get("target", "rzc-fixtures"));
            Path file = dir.resolve(name);
            if (!Files.exists(file)) {
                // Copied under a temporary name and renamed: a reader never sees half a file.
                Path part = Files.createTempFile(dir, name, ".part");
                try (InputStream in = url.openStream()) {
                    Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.move(
                        part,
                        file,
                        StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            }
            return file.toAbsolutePath();
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException("cannot read test fixture " + name, e);
        }
    }

    /** A reference array ("input", "output", "embed") of {@code <model>.ref.json}. */
    public static float[][] ref(String model, String key) {
        try (InputStream in =
                Fixtures.class.getResourceAsStream("/fixtures/" + model + ".ref.json")) {
            JsonObject o =
                    JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                            .getAsJsonObject();
            JsonArray rows = o.getAsJsonArray(key);
            float[][] out = new float[rows.size()][];
            for (int i = 0; i < out.length; i++) {
                JsonArray row = rows.get(i).getAsJsonArray();
                out[i] = new float[row.size()];
                for (int j = 0; j < out[i].length; j++) {
                    out[i][j] = row.get(j).getAsFloat();
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The reference array as an NDArray [rows, cols]. */
    public static NDArray refArray(NDManager manager, String model, String key) {
        float[][] rows = ref(model, key);
        float[] flat = new float[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
        }
        return manager.create(flat, new Shape(rows.length, rows[0].length));
    }

    /** Largest absolute difference between an array and a reference. */
    public static double maxAbsDiff(NDArray actual, float[][] expected) {
        float[] a = actual.toFloatArray();
        int cols = expected[0].length;
        if (a.length != expected.length * cols) {
            throw new AssertionError(
                    "shape " + actual.getShape() + " vs reference " + expected.length + "x" + cols);
        }
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, Math.abs(a[i * cols + j] - expected[i][j]));
            }
        }
        return max;
    }
}
