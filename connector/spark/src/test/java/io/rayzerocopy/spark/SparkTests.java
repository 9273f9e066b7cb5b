package io.rayzerocopy.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Dataset;
import io.rayzerocopy.ExecutionOptions;
import io.rayzerocopy.Fixtures;
import io.rayzerocopy.ParquetWriteOptions;
import io.rayzerocopy.RuntimeNames;
import io.rayzerocopy.internal.model.StoreMemory;
import io.rayzerocopy.internal.model.StoreRef;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real Spark cluster on this machine for the tests, and their data: {@code
 * local-cluster[2,1,1024]} runs a Master and two Workers in the test JVM and one executor JVM per
 * worker, with the test JVM's classpath; feature files for simple_classifier and checks against its
 * reference outputs.
 */
final class SparkTests {
    static final String MASTER = "local-cluster[2,1,1024]";

    private SparkTests() {}

    /**
     * Options that run a dataset on the spark runtime: with {@code master}, on a session the job
     * starts (and stops); without, on the running one.
     */
    static ExecutionOptions.Builder options(String master) {
        ExecutionOptions.Builder options =
                ExecutionOptions.builder()
                        .runtime(RuntimeNames.SPARK)
                        .runtimeOption(SparkRuntime.ROWS_PER_SPLIT, "300")
                        .workerJvmOptions(executorOptions());
        return master == null ? options : options.runtimeOption(SparkRuntime.MASTER, master);
    }

    /** The executors' JVM options (a quick JIT: they live for seconds). */
    static List<String> executorOptions() {
        String opts = System.getProperty("rzc.test.executor.opts", "");
        return opts.isBlank() ? List.of() : List.of(opts.trim().split("\\s+"));
    }

    /**
     * Starts a session of {@code executors} executor JVMs the way the runtime does, and waits for
     * them: a job with {@code spark.master} would stop its session when it ends, so the tests start
     * one that outlives their jobs.
     */
    static SparkSession start(int executors, Map<String, String> conf) {
        ExecutionOptions.Builder options =
                options("local-cluster[" + executors + ",1,1024]")
                        .runtimeOption(SparkRuntime.MIN_EXECUTORS, String.valueOf(executors));
        conf.forEach(options::runtimeOption);
        return SparkRuntime.startSession(options.build());
    }

    /** {@code files} Parquet files of {@code rowsPerFile} rows {id, features[128]}, ids 0.. */
    static Path writeFeatures(Path dir, int files, int rowsPerFile) {
        float[][] input = Fixtures.ref("simple_classifier", "input");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long id = 0; id < (long) files * rowsPerFile; id++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", id);
            row.put("features", input[(int) (id % input.length)]);
            rows.add(row);
        }
        Dataset.fromItems(rows)
                .writeParquet(
                        dir.toString(),
                        ParquetWriteOptions.builder()
                                .rowsPerFile(rowsPerFile)
                                .rowsPerRowGroup(100)
                                .build());
        return dir;
    }

    /** Asserts that {@code rows} hold ids 0..n-1 exactly once, each with the reference scores. */
    static void assertScores(List<Map<String, Object>> rows, int n, String column) {
        assertEquals(n, rows.size(), "rows");
        float[][] expected = Fixtures.ref("simple_classifier", "output");
        BitSet seen = new BitSet(n);
        for (Map<String, Object> row : rows) {
            int id = (int) (long) (Long) row.get("id");
            assertTrue(!seen.get(id), "id " + id + " appears twice");
            seen.set(id);
            float[] reference = expected[id % expected.length];
            List<?> scores = (List<?>) row.get(column);
            assertEquals(reference.length, scores.size());
            for (int j = 0; j < reference.length; j++) {
                assertEquals(
                        reference[j], ((Number) scores.get(j)).floatValue(), 1e-5, "row " + id);
            }
        }
        assertEquals(n, seen.cardinality(), "every id exactly once");
    }

    /**
     * The store's mappings once this (driver) JVM's own are gone: a model the test loaded here for
     * reference outputs is closed, but its mapping lasts until the GC collects the buffers, which
     * depends on how much garbage the test happened to make. Collects (a few times if needed) until
     * at most {@code executors} processes map the store, then measures.
     */
    static StoreMemory storeMemoryWithoutTheDriver(StoreRef store, int executors)
            throws InterruptedException {
        StoreMemory memory = StoreMemory.measure(store);
        for (int attempt = 0; attempt < 10 && memory.processes() > executors; attempt++) {
            System.gc();
            Thread.sleep(100);
            memory = StoreMemory.measure(store);
        }
        return memory;
    }

    /** {id, column} of each row, as maps. */
    static List<Map<String, Object>> maps(List<Row> rows, String column) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", r.getLong(r.fieldIndex("id")));
            m.put(column, r.getList(r.fieldIndex(column)));
            out.add(m);
        }
        return out;
    }

    /** Asserts that the Parquet output at {@code out} holds the reference scores of n ids. */
    static void assertScores(Path out, int n) {
        assertScores(Dataset.readParquet(out.toString()).take(Integer.MAX_VALUE), n, "score");
    }

    /** Nothing but the output next to it: no staging or attempt directories. */
    static void assertNoLeftovers(Path out) {
        try (Stream<Path> s = Files.list(out.getParent())) {
            List<String> hidden =
                    s.map(p -> p.getFileName().toString())
                            .filter(n -> n.startsWith("." + out.getFileName() + ".rzc-"))
                            .toList();
            assertEquals(List.of(), hidden);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** PIDs of the live executor JVMs of application {@code appId} on this machine. */
    static List<Long> executorPids(String appId) {
        return ProcessHandle.allProcesses()
                .filter(
                        p -> {
                            String cmd = cmdline(p.pid());
                            return cmd.contains("CoarseGrainedExecutorBackend")
                                    && cmd.contains(" --app-id " + appId);
                        })
                .map(ProcessHandle::pid)
                .sorted()
                .toList();
    }

    /** The command line of process {@code pid}, or "" if it is gone. */
    static String cmdline(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Paths.get("/proc/" + pid + "/cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }
}
