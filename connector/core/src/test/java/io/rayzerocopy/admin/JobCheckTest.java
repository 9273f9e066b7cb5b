package io.rayzerocopy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.ParquetWriteOptions.SaveMode;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

class JobCheckTest {
    @TempDir static Path dir;
    static String input;

    @BeforeAll
    static void writeInput() {
        input = dir.resolve("in").toString();
        Dataset.fromItems(List.of(Map.of("id", 1L, "x", 2.0))).writeParquet(input);
    }

    private static JobCheck.Builder job(String output) {
        return JobCheck.builder()
                .input(List.of(input))
                .columns(List.of("id", "x"))
                .output(output, SaveMode.ERROR_IF_EXISTS);
    }

    private static JobProblem problem(JobCheck.Builder job) {
        return assertThrows(JobProblem.class, () -> job.build().check());
    }

    @Test
    void aJobThatCanRunPassesAndLeavesNothingBehind() throws Exception {
        Path out = dir.resolve("ok/scores");
        assertEquals(out.toString(), job(out.toString()).build().check());
        assertFalse(Files.exists(out), "no output made");
        try (var left = Files.list(out.getParent())) {
            assertEquals(0, left.count(), "no staging directory left: the probe is removed");
        }
    }

    @Test
    void eachProblemNamesItsArgumentAsTheCallerDoes() throws Exception {
        Map<JobArgument, String> flags =
                Map.of(
                        JobArgument.INPUT, "--input",
                        JobArgument.OUTPUT, "--output",
                        JobArgument.OVERWRITE, "--overwrite");
        JobProblem overlap = problem(job(input));
        assertEquals(JobArgument.OUTPUT, overlap.argument());
        assertTrue(overlap.getMessage().startsWith("output: "), overlap.getMessage());
        assertTrue(overlap.getMessage().contains(input), overlap.getMessage());

        JobProblem column =
                problem(job(dir.resolve("c").toString()).columns(List.of("y")).names(flags));
        assertEquals(JobArgument.COLUMNS, column.argument());
        assertTrue(
                column.getMessage().startsWith("--input file ")
                        && column.getMessage()
                                .contains("has no column 'y'; its columns are ["),
                column.getMessage());

        Path full = Files.createDirectories(dir.resolve("full"));
        Files.writeString(full.resolve("x"), "x");
        JobProblem exists = problem(job(full.toString()));
        assertEquals(JobArgument.OUTPUT, exists.argument());
        assertTrue(
                exists.getMessage().endsWith("or use " + JobArgument.OVERWRITE.apiName()),
                exists.getMessage());
        assertTrue(
                problem(job(full.toString()).names(flags))
                        .getMessage()
                        .endsWith("or use --overwrite"));

        Path file = Files.writeString(dir.resolve("file.parquet"), "not ours");
        JobProblem notDir =
                problem(
                        JobCheck.builder()
                                .output(file.toString(), SaveMode.OVERWRITE)
                                .names(flags));
        assertEquals(
                "--output "
                        + file
                        + " is a file, not a directory: give a directory (it is"
                        + " created if missing)",
                notDir.getMessage());
        assertEquals("not ours", Files.readString(file));

        JobProblem none =
                problem(
                        job(dir.resolve("n").toString())
                                .input(List.of(dir.resolve("nowhere").toString())));
        assertEquals(JobArgument.INPUT, none.argument());
    }

    @Test
    void aPoolFarLargerThanTheMachineIsRefusedNamingTheCount() {
        int cores = Runtime.getRuntime().availableProcessors();
        int actors = JobCheck.MAX_ACTORS_PER_CORE * cores + 1;
        JobProblem p =
                problem(
                        JobCheck.builder()
                                .execution(
                                        ExecutionOptions.builder().runtime("threads").build(),
                                        actors)
                                .names(Map.of(JobArgument.ACTORS, "--actors")));
        assertEquals(JobArgument.ACTORS, p.argument());
        assertTrue(
                p.getMessage().startsWith("--actors " + actors + " is far more than the "),
                p.getMessage());
    }
}
