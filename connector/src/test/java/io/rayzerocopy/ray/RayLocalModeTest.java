package io.rayzerocopy.ray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ray.api.Ray;
import io.ray.api.exception.RayTaskException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real Ray 2.39.0 in LOCAL mode: one Ray.init() for the class, shut down and cleaned after it. */
class RayLocalModeTest {
    private static List<Path> sessionDirs;

    @BeforeAll
    static void startRay() throws Exception {
        assertTrue(RayCluster.start(), "Ray was already running in this JVM");
        sessionDirs = ourSessionDirs();
    }

    @AfterAll
    static void stopRay() throws Exception {
        assertTrue(RayCluster.shutdown());
        assertFalse(Ray.isInitialized());
        for (Path dir : sessionDirs) {
            assertFalse(Files.exists(dir), dir + " should be deleted by RayCluster.shutdown()");
        }
    }

    private static List<Path> ourSessionDirs() throws Exception {
        String suffix = "_" + ProcessHandle.current().pid();
        try (Stream<Path> dirs = Files.list(Paths.get("/tmp/ray"))) {
            return dirs.filter(d -> d.getFileName().toString().startsWith("session_local_mode_")
                    && d.getFileName().toString().endsWith(suffix)).collect(Collectors.toList());
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void startsInLocalModeAndCreatesOneSessionDirectory() {
        assertTrue(RayCluster.isLocalMode());
        assertFalse(RayCluster.start(), "a second start() is a no-op");
        assertEquals(1, sessionDirs.size(), "session directories of this JVM: " + sessionDirs);
    }

    @Test
    void callsReturnTheFunctionsBytes() {
        try (RayFnActor actor = RayFnActor.start(new TestFns.Echo())) {
            assertArrayEquals(utf8("echo:abc"), actor.call(utf8("abc")));
            assertArrayEquals(utf8("echo:"), actor.call(new byte[0]));
            byte[] big = new byte[1 << 20];
            big[big.length - 1] = 7;
            byte[] out = actor.call(big);
            assertEquals(5 + big.length, out.length);
            assertEquals(7, out[out.length - 1]);
        }
    }

    @Test
    void aFunctionThatFailsToBuildGivesAClearErrorAndTheJvmLivesOn() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RayFnActor.start(new TestFns.FailsToBuild()));
        assertTrue(e.getMessage().contains("model file /nowhere/model.pt not found"), e.getMessage());
        assertTrue(e.getMessage().contains(TestFns.FailsToBuild.class.getName()), e.getMessage());
        try (RayFnActor next = RayFnActor.start(new TestFns.Echo())) {
            assertArrayEquals(utf8("echo:x"), next.call(utf8("x")));
        }
    }

    @Test
    void aFailingCallFailsThatCallOnly() {
        try (RayFnActor actor = RayFnActor.start(new TestFns.FailsOnBad())) {
            RayTaskException e = assertThrows(RayTaskException.class, () -> actor.call(utf8("bad row")));
            assertTrue(e.toString().contains("cannot score input 'bad'") || String.valueOf(e.getCause()).contains("cannot score"),
                    e.toString());
            assertArrayEquals(utf8("good"), actor.call(utf8("good")));
        }
    }

    @Test
    void reportsPidAndPss() {
        try (RayFnActor actor = RayFnActor.start(new TestFns.Echo())) {
            assertEquals(ProcessHandle.current().pid(), actor.pid(), "LOCAL mode actors are threads of this JVM");
            assertTrue(actor.pssKb() > 10_000, "PSS of a JVM running Ray: " + actor.pssKb() + " KiB");
        }
    }

    @Test
    void closeClosesTheFunctionOnceAndLaterCallsFail() {
        int before = TestFns.CountsClose.CLOSED.get();
        RayFnActor actor = RayFnActor.start(new TestFns.CountsClose());
        assertArrayEquals(utf8("a"), actor.call(utf8("a")));
        actor.close();
        actor.close();
        assertEquals(before + 1, TestFns.CountsClose.CLOSED.get());
        RayTaskException e = assertThrows(RayTaskException.class, () -> actor.call(utf8("a")));
        assertTrue(e.toString().contains("closed") || String.valueOf(e.getCause()).contains("closed"), e.toString());
    }

    @Test
    void concurrentCallsToFourActorsAllReachTheirOwnActor() throws Exception {
        int actors = 4;
        int callsPerActor = 200;
        List<RayFnActor> pool = new ArrayList<>();
        ExecutorService callers = Executors.newFixedThreadPool(actors);
        try {
            for (int i = 0; i < actors; i++) {
                pool.add(RayFnActor.start(new TestFns.Id("actor-" + i)));
            }
            List<Future<Integer>> wrong = new ArrayList<>();
            for (int i = 0; i < actors; i++) {
                RayFnActor actor = pool.get(i);
                String expected = "actor-" + i;
                wrong.add(callers.submit(() -> {
                    int n = 0;
                    for (int c = 0; c < callsPerActor; c++) {
                        if (!expected.equals(new String(actor.call(new byte[] {(byte) c}), StandardCharsets.UTF_8))) {
                            n++;
                        }
                    }
                    return n;
                }));
            }
            for (int i = 0; i < actors; i++) {
                assertEquals(0, wrong.get(i).get(), "calls of actor-" + i + " answered by another actor");
            }
        } finally {
            callers.shutdownNow();
            pool.forEach(RayFnActor::close);
        }
    }
}
