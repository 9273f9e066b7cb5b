package io.rayzerocopy.cli;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** The paths {@code --input} values name. */
final class InputArgs {
    private InputArgs() {}

    /**
     * Each value split at commas ({@code --input a,b}), except a value that names an existing file
     * or directory, which is one path: a file name may hold a comma. {@code --input} repeats.
     */
    static List<String> paths(List<String> values) {
        List<String> paths = new ArrayList<>();
        for (String value : values) {
            if (!value.isEmpty() && Files.exists(Paths.get(value))) {
                paths.add(value);
            } else {
                paths.addAll(List.of(value.split(",", -1)));
            }
        }
        return paths;
    }
}
