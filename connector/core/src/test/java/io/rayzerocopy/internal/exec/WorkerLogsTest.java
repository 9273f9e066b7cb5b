package io.rayzerocopy.internal.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Worker processes log one line per event on stderr, ours from INFO, others' from WARN. */
class WorkerLogsTest {
    @Test
    void oursFromInfoOthersFromWarnAndDjlsCudaProbeOnlyOnError() {
        WorkerLogs provider = new WorkerLogs();
        provider.initialize();
        Logger ours = provider.getLoggerFactory().getLogger("io.rayzerocopy.internal.model.X");
        Logger djl = provider.getLoggerFactory().getLogger("ai.djl.pytorch.engine.PtEngine");
        Logger cuda = provider.getLoggerFactory().getLogger("ai.djl.util.cuda.CudaUtils");
        assertTrue(ours.isInfoEnabled());
        assertFalse(ours.isDebugEnabled());
        assertFalse(djl.isInfoEnabled());
        assertTrue(djl.isWarnEnabled());
        assertFalse(cuda.isWarnEnabled());
        assertTrue(cuda.isErrorEnabled());

        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            ours.info("mapped {} of {}", 3, "store");
            djl.info("not shown");
            djl.warn("shown", new IllegalStateException("cause"));
        } finally {
            System.setErr(saved);
        }
        String[] lines = err.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals("INFO X - mapped 3 of store", lines[0]);
        assertEquals("WARN PtEngine - shown", lines[1]);
        assertEquals("java.lang.IllegalStateException: cause", lines[2]);
    }
}
