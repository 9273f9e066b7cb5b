package io.rayzerocopy.bench;

import java.util.List;
import java.util.Map;

/** The harnesses' check that two jobs wrote the same scores. */
final class Scores {
    private Scores() {}

    /**
     * The largest absolute difference between the list column {@code column} of {@code rows} and
     * the lists {@code byId} holds for the same ids.
     */
    static double maxDifference(
            List<Map<String, Object>> rows, Map<Object, Object> byId, String column) {
        double max = 0;
        for (Map<String, Object> r : rows) {
            List<?> x = (List<?>) r.get(column);
            List<?> y = (List<?>) byId.get(r.get("id"));
            for (int j = 0; j < x.size(); j++) {
                float a = ((Number) x.get(j)).floatValue();
                float b = ((Number) y.get(j)).floatValue();
                max = Math.max(max, Math.abs(a - b));
            }
        }
        return max;
    }
}
