package io.rayzerocopy;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fixture's {@code <name>.ref.json} as tools/make_fixtures.py's {@code save_io} writes it: named
 * inputs and outputs (rows of values), their dtypes, the parameters' dtypes and forward's schema.
 */
public final class RefJson {
    private final JsonObject json;

    public RefJson(String model) {
        try {
            json =
                    JsonParser.parseString(Files.readString(Fixtures.path(model + ".ref.json")))
                            .getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The output names in the model's order ({@code 0}, {@code 1}, ... or dict keys). */
    public List<String> outputNames() {
        return new ArrayList<>(json.getAsJsonObject("outputs").keySet());
    }

    public String outputDtype(String name) {
        return json.getAsJsonObject("output_dtypes").get(name).getAsString();
    }

    /** Input {@code name}, one array per row. */
    public List<double[]> input(String name) {
        return rows(json.getAsJsonObject("inputs").get(name));
    }

    /** Output {@code name}, one array per row (one value each for a 1-D output). */
    public List<double[]> output(String name) {
        return rows(json.getAsJsonObject("outputs").get(name));
    }

    /** Forward's schema as Python prints it. */
    public String schema() {
        return json.get("schema").getAsString();
    }

    /** Parameter name to dtype, e.g. {@code fc1.weight -> bfloat16}. */
    public Map<String, String> parameterDtypes() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : json.getAsJsonObject("parameters").entrySet()) {
            out.put(e.getKey(), e.getValue().getAsJsonObject().get("dtype").getAsString());
        }
        return out;
    }

    private static List<double[]> rows(JsonElement element) {
        List<double[]> rows = new ArrayList<>();
        for (JsonElement row : element.getAsJsonArray()) {
            if (row.isJsonArray()) {
                JsonArray values = row.getAsJsonArray();
                double[] r = new double[values.size()];
                for (int j = 0; j < r.length; j++) {
                    r[j] = values.get(j).getAsDouble();
                }
                rows.add(r);
            } else {
                rows.add(new double[] {row.getAsDouble()});
            }
        }
        return rows;
    }
}
