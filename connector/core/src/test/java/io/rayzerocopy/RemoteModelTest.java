package io.rayzerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;

import io.rayzerocopy.internal.exec.JvmLauncher;
import io.rayzerocopy.internal.storage.MiniHdfs;

import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Models on a real HDFS (a NameNode and two DataNodes in this JVM), fetched once per machine: the
 * bytes read are counted by Hadoop's own client statistics, in this JVM and in child JVMs.
 */
class RemoteModelTest {
    @TempDir static Path dir;
    private static MiniHdfs hdfs;
    private static long modelBytes;

    @BeforeAll
    static void start() throws Exception {
        hdfs = MiniHdfs.start(dir.resolve("hdfs"));
        modelBytes = Files.size(Fixtures.path("simple_classifier.pt"));
    }

    @AfterAll
    static void stop() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    /** Bytes this JVM's HDFS clients have read from DataNodes. */
    static long hdfsBytesRead() {
        Long read = FileSystem.getGlobalStorageStatistics().get("hdfs").getLong("bytesRead");
        return read == null ? 0 : read;
    }

    private static String upload(String fixture, String path) throws Exception {
        hdfs.client()
                .copyFromLocalFile(
                        false,
                        true,
                        new org.apache.hadoop.fs.Path(Fixtures.path(fixture).toString()),
                        new org.apache.hadoop.fs.Path(path));
        return hdfs.uri() + path;
    }

    private static void assertScores(ModelWrapper<Model> wrapper, String fixture)
            throws Exception {
        try (Model model = wrapper.load();
                NDManager manager = NDManager.newBaseManager()) {
            ModelWrapperTest.assertMatches(
                    ModelWrapperTest.predict(model, Fixtures.refArray(manager, fixture, "input"))
                            .singletonOrThrow(),
                    fixture,
                    "output");
            ZeroCopy.assertAllParametersInStore(model, wrapper);
        }
    }

    private static List<String> fetchedCopies() throws Exception {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("rzc-fetched-" + ProcessHandle.current().pid()))
                    .toList();
        }
    }

    @Test
    void aSecondWrapperOfTheSameHdfsModelReadsNothingOfIt() throws Exception {
        String uri = upload("simple_classifier.pt", "/models/second.pt");
        long before = hdfsBytesRead();
        try (ModelWrapper<Model> first =
                ModelWrapper.fromModel(TorchScriptModel.fromUri(uri), Mode.ACTOR)) {
            assertEquals(modelBytes, hdfsBytesRead() - before, "the first wrapper fetches it");
            assertEquals(List.of(), fetchedCopies(), "the fetched copy is gone once stored");
            long afterFirst = hdfsBytesRead();
            try (ModelWrapper<Model> second =
                    ModelWrapper.fromModel(TorchScriptModel.fromUri(uri), Mode.ACTOR)) {
                assertEquals(0, hdfsBytesRead() - afterFirst, "the second reads nothing");
                assertEquals(first.storeId(), second.storeId());
                assertScores(second, "simple_classifier");
            }
            assertScores(first, "simple_classifier");
        }
    }

    @Test
    void theSameContentAtAnotherUriIsFetchedButStoredOnce() throws Exception {
        String uri = upload("simple_classifier.pt", "/models/original.pt");
        String copy = upload("simple_classifier.pt", "/models/copy.pt");
        try (ModelWrapper<Model> original =
                ModelWrapper.fromModel(TorchScriptModel.fromUri(uri), Mode.ACTOR)) {
            long before = hdfsBytesRead();
            try (ModelWrapper<Model> same =
                    ModelWrapper.fromModel(TorchScriptModel.fromUri(copy), Mode.ACTOR)) {
                assertEquals(modelBytes, hdfsBytesRead() - before, "another file: fetched");
                assertEquals(original.storeId(), same.storeId(), "one store for one content");
                assertScores(same, "simple_classifier");
            }
        }
    }

    @Test
    void aRemoteFileThatIsNoModelIsRefusedNamingItsUriAndLeavesNoCopy() throws Exception {
        String uri = hdfs.uri() + "/models/not-a-model.pt";
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path("/models/not-a-model.pt");
        try (var out = hdfs.client().create(path)) {
            out.write("not a zip".getBytes(StandardCharsets.UTF_8));
        }
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ModelWrapper.fromModel(TorchScriptModel.fromUri(uri), Mode.ACTOR));
        assertTrue(e.getMessage().contains(uri), e.getMessage());
        assertFalse(e.getMessage().contains("rzc-fetched"), e.getMessage());
        assertEquals(List.of(), fetchedCopies());
        IllegalArgumentException missing =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TorchScriptModel.fromUri(hdfs.uri() + "/models/none.pt"));
        assertTrue(missing.getMessage().contains("/models/none.pt does not exist"));
    }

    @Test
    void twoJvmsWrappingOneHdfsModelAtOnceFetchItOnce() throws Exception {
        String uri = upload("simple_classifier.pt", "/models/concurrent.pt");
        List<Process> children = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                children.add(
                        JvmLauncher.start(
                                ChildMain.class.getName(),
                                List.of("-Xmx512m"),
                                List.of("remote", uri)));
            }
            List<String> stores = new ArrayList<>();
            long read = 0;
            List<Long> reads = new ArrayList<>();
            for (Process child : children) {
                String[] line = CrossProcessTest.readLine(child).split(" ");
                stores.add(line[0]);
                reads.add(Long.parseLong(line[1]));
                read += Long.parseLong(line[1]);
            }
            assertEquals(stores.get(0), stores.get(1), "one store");
            assertEquals(modelBytes, read, "one of the two read the file, once: " + reads);
        } finally {
            for (Process child : children) {
                child.getOutputStream().close();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void twoThreadsWrappingOneHdfsModelAtOnceFetchItOnce() throws Exception {
        String uri = upload("simple_classifier.pt", "/models/threads.pt");
        long before = hdfsBytesRead();
        CyclicBarrier start = new CyclicBarrier(2);
        Callable<ModelWrapper<Model>> wrap =
                () -> {
                    start.await();
                    return ModelWrapper.fromModel(TorchScriptModel.fromUri(uri), Mode.ACTOR);
                };
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<ModelWrapper<Model>> a = threads.submit(wrap);
            Future<ModelWrapper<Model>> b = threads.submit(wrap);
            try (ModelWrapper<Model> first = a.get(60, TimeUnit.SECONDS);
                    ModelWrapper<Model> second = b.get(60, TimeUnit.SECONDS)) {
                assertEquals(modelBytes, hdfsBytesRead() - before, "fetched once");
                assertEquals(first.storeId(), second.storeId());
                assertScores(second, "simple_classifier");
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aChangedHdfsModelIsFetchedAgainIntoANewStore() throws Exception {
        String uri = upload("simple_classifier.pt", "/models/changing.pt");
        try (ModelWrapper<Model> old =
                ModelWrapper.fromModel(TorchScriptModel.fromUri(uri), Mode.ACTOR)) {
            upload("encoder.pt", "/models/changing.pt");
            long before = hdfsBytesRead();
            try (ModelWrapper<Model> changed =
                    ModelWrapper.fromModel(TorchScriptModel.fromUri(uri), Mode.ACTOR)) {
                assertEquals(
                        Files.size(Fixtures.path("encoder.pt")), hdfsBytesRead() - before);
                assertNotEquals(old.storeId(), changed.storeId());
                assertScores(changed, "encoder");
            }
            assertScores(old, "simple_classifier");
        }
    }
}
