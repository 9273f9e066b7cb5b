package io.rayzerocopy.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.Mode;
import io.rayzerocopy.ModelWrapper;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.TorchScriptModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The large-model check of issue #25, around a model made by {@code tools/make_large_model.py}:
 * {@code input REF.json DIR} writes the reference inputs as Parquet (id int64, features
 * float[1024]) for {@code rzc score}; {@code compare REF.json OUT} compares the scores {@code rzc
 * score} wrote with the model's own outputs and prints {@code rows=<n> max_abs_diff=<d>}. {@code
 * store MODEL.pt} and {@code plain MODEL.pt} (each in a fresh JVM) time store creation ({@code
 * ModelWrapper.fromModel}) against a plain DJL load of the same file, and print the JVM's peak RSS
 * ({@code VmHWM}).
 *
 * <pre>
 * java -cp "$(cat connector/cli/target/rzc.classpath)" io.rayzerocopy.bench.LargeModelCheck \
 *     input /work/tmp-large/huge.ref.json /work/tmp-large/in
 * </pre>
 */
public final class LargeModelCheck {
    private LargeModelCheck() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && List.of("store", "plain").contains(args[0])) {
            measureLoad(args[0], Path.of(args[1]));
            return;
        }
        if (args.length != 3 || !List.of("input", "compare").contains(args[0])) {
            System.err.println(
                    "usage: LargeModelCheck input|compare REF.json DIR, or store|plain MODEL.pt");
            System.exit(2);
        }
        JsonObject ref =
                JsonParser.parseString(Files.readString(Path.of(args[1]))).getAsJsonObject();
        if (args[0].equals("input")) {
            List<Map<String, Object>> rows = new ArrayList<>();
            JsonArray inputs = ref.getAsJsonArray("input");
            for (int i = 0; i < inputs.size(); i++) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", (long) i);
                row.put("features", floats(inputs.get(i).getAsJsonArray()));
                rows.add(row);
            }
            Dataset.fromItems(rows).writeParquet(args[2], ParquetWriteOptions.overwrite());
            System.out.println("rows=" + rows.size());
            return;
        }
        JsonArray outputs = ref.getAsJsonArray("output");
        List<Map<String, Object>> rows = Dataset.readParquet(args[2]).take(Integer.MAX_VALUE);
        double maxDiff = 0;
        for (Map<String, Object> row : rows) {
            float[] expected =
                    floats(outputs.get((int) (long) (Long) row.get("id")).getAsJsonArray());
            List<?> scores = scoresOf(row);
            for (int j = 0; j < expected.length; j++) {
                maxDiff =
                        Math.max(
                                maxDiff,
                                Math.abs(((Number) scores.get(j)).doubleValue() - expected[j]));
            }
        }
        System.out.println(
                "rows=" + rows.size() + " of " + outputs.size() + " max_abs_diff=" + maxDiff);
        if (rows.size() != outputs.size() || maxDiff > 1e-4) {
            System.exit(1);
        }
    }

    /** Times a store's creation or a plain DJL load of {@code pt}; prints ms and peak RSS. */
    private static void measureLoad(String how, Path pt) throws Exception {
        // The engine's start (seconds, the same for both) is not part of the figure.
        Engine.getEngine("PyTorch");
        long start = System.nanoTime();
        if (how.equals("store")) {
            try (ModelWrapper<Model> w =
                    ModelWrapper.fromModel(TorchScriptModel.fromFile(pt), Mode.ACTOR)) {
                report(how, pt, start);
            }
        } else {
            try (Model m = Model.newInstance("plain", Device.cpu(), "PyTorch")) {
                m.load(pt);
                report(how, pt, start);
            }
        }
    }

    private static void report(String how, Path pt, long start) throws Exception {
        long ms = (System.nanoTime() - start) / 1_000_000;
        long hwmKb = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                hwmKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        System.out.printf(
                "%s model_bytes=%d ms=%d peak_rss_mb=%d%n", how, Files.size(pt), ms, hwmKb >> 10);
    }

    /** The list column that is not the input. */
    private static List<?> scoresOf(Map<String, Object> row) {
        for (Map.Entry<String, Object> e : row.entrySet()) {
            if (!e.getKey().equals("features") && e.getValue() instanceof List<?> l) {
                return l;
            }
        }
        throw new IllegalStateException("no score column in " + row.keySet());
    }

    private static float[] floats(JsonArray a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsFloat();
        }
        return out;
    }
}
