package io.rayzerocopy.internal.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a resumable job reads and how, as its staging area records it: named entries (each input
 * split with what identifies its content, the selected columns, each map's function, model and
 * batch size, the write options) and the splits in read order. A job may continue another's staging
 * area only if their records are equal; {@link #differences} says what changed.
 */
public record JobRecord(Map<String, String> entries, List<String> splits) {
    private static final int SHOWN = 3;

    public JobRecord {
        entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        splits = List.copyOf(splits);
    }

    /**
     * What differs between {@code earlier} (this record's predecessor) and this record, as one line
     * naming the first few entries that changed, appeared or disappeared; {@code null} if nothing
     * did.
     */
    public String differences(JobRecord earlier) {
        Objects.requireNonNull(earlier, "earlier");
        List<String> changes = new ArrayList<>();
        for (Map.Entry<String, String> entry : earlier.entries().entrySet()) {
            String now = entries.get(entry.getKey());
            if (now == null) {
                changes.add(entry.getKey() + " is gone (was " + entry.getValue() + ")");
            } else if (!now.equals(entry.getValue())) {
                changes.add(entry.getKey() + " was " + entry.getValue() + ", now " + now);
            }
        }
        for (Map.Entry<String, String> entry : entries.entrySet()) {
            if (!earlier.entries().containsKey(entry.getKey())) {
                changes.add(entry.getKey() + " is new (" + entry.getValue() + ")");
            }
        }
        if (changes.isEmpty()) {
            return earlier.splits().equals(splits) ? null : "the order of the input files changed";
        }
        String shown = String.join("; ", changes.subList(0, Math.min(SHOWN, changes.size())));
        return changes.size() > SHOWN
                ? shown + "; and " + (changes.size() - SHOWN) + " more changes"
                : shown;
    }
}
