package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;

import io.rayzerocopy.internal.exec.JvmLauncher;
import io.rayzerocopy.internal.model.StoreMemory;
import io.rayzerocopy.internal.model.WeightStore;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Real child JVMs: a wrapper shipped to another process, and two processes creating one store. */
class CrossProcessTest {
    @TempDir Path tmp;

    /** The child's first line of output; fails if it exits first. */
    static String readLine(Process p) throws Exception {
        BufferedReader r =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        if (line == null) {
            p.waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("child exited with " + p.exitValue() + " before printing");
        }
        return line;
    }

    @Test
    void secondJvmDeserializesTheWrapperAndGetsIdenticalOutputs() throws Exception {
        try (ModelWrapper<Model> wrapper =
                ModelWrapper.fromModel(
                        TorchScriptModel.fromFile(Fixtures.path("simple_classifier.pt")),
                        Mode.ACTOR)) {
            Path file = tmp.resolve("wrapper.bin");
            Files.write(file, Serialization.serialize(wrapper));
            Process child =
                    JvmLauncher.start(
                            ChildMain.class.getName(),
                            List.of("-Xmx512m"),
                            List.of("load", file.toString(), "simple_classifier"));
            String line = readLine(child);
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, child.exitValue());
            String[] parts = line.substring(1, line.length() - 1).split(", ");
            float[][] expected = Fixtures.ref("simple_classifier", "output");
            assertEquals(expected.length * expected[0].length, parts.length);
            for (int i = 0; i < parts.length; i++) {
                float e = expected[i / expected[0].length][i % expected[0].length];
                assertTrue(
                        Math.abs(Float.parseFloat(parts[i]) - e) <= 1e-6,
                        "output " + i + ": " + parts[i] + " vs " + e);
            }
            assertTrue(
                    Files.isDirectory(Stores.directory(wrapper)),
                    "the child's exit leaves the parent's store alone");
        }
    }

    @Test
    void twoJobsOnOneTorchScriptFileStartedSecondsApartShareOneStoreCountedOnce() throws Exception {
        List<Process> children = new ArrayList<>();
        try {
            List<String> dirs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                if (i > 0) {
                    // Longer than the two-second resolution of a zip entry's time.
                    Thread.sleep(2100);
                }
                Process child =
                        JvmLauncher.start(
                                ChildMain.class.getName(),
                                List.of("-Xmx512m"),
                                List.of(
                                        "map",
                                        Fixtures.path("simple_classifier.pt").toString(),
                                        "simple_classifier"));
                children.add(child);
                dirs.add(readLine(child));
            }
            assertEquals(dirs.get(0), dirs.get(1), "one store for one model");
            Path store = Path.of(dirs.get(0));
            try (Stream<Path> s = Files.list(store.getParent())) {
                assertEquals(
                        List.of(store.getFileName().toString()),
                        s.map(p -> p.getFileName().toString())
                                .filter(n -> n.startsWith("rzc-") || n.startsWith(".tmp-"))
                                .toList());
            }
            StoreMemory memory =
                    StoreMemory.measure(WeightStore.local().ref(store.getFileName().toString()));
            assertEquals(2, memory.processes(), memory.toString());
            assertTrue(
                    memory.mappedRssBytes() > 1.5 * memory.mappedPssBytes(),
                    "both map the same pages: " + memory);
            assertTrue(memory.copies() < 1.25, "counted once: " + memory);
        } finally {
            for (Process p : children) {
                p.getOutputStream().write('\n');
                p.getOutputStream().flush();
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue());
            }
        }
    }

    @Test
    void twoProcessesCreatingTheSameStoreAtOnceGetOneStore() throws Exception {
        Path root = WeightStore.defaultRoot();
        List<Process> children = new ArrayList<>();
        String a;
        for (int i = 0; i < 2; i++) {
            children.add(
                    JvmLauncher.start(
                            ChildMain.class.getName(),
                            List.of("-Xmx512m"),
                            List.of("create", Fixtures.path("batchnorm_net.pt").toString())));
        }
        try {
            a = readLine(children.get(0));
            String b = readLine(children.get(1));
            assertEquals(a, b);
            try (Stream<Path> s = Files.list(root)) {
                List<String> names =
                        s.map(p -> p.getFileName().toString())
                                .filter(n -> n.startsWith("rzc-") || n.startsWith(".tmp-"))
                                .toList();
                assertEquals(
                        1,
                        names.stream()
                                .filter(n -> Path.of(a).getFileName().toString().equals(n))
                                .count(),
                        names.toString());
                assertTrue(
                        names.stream().noneMatch(n -> n.startsWith(".tmp-")),
                        "no torn temp store left: " + names);
            }
            WeightStore.local()
                    .verify(WeightStore.local().ref(Path.of(a).getFileName().toString()));
        } finally {
            for (Process p : children) {
                p.getOutputStream().write('\n');
                p.getOutputStream().flush();
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue());
            }
        }
        assertTrue(
                Files.notExists(Path.of(a)),
                "the store is removed when both processes have released it");
    }
}
