package io.rayzerocopy.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.internal.exec.JvmLauncher;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Fork;

import java.util.List;

class ThroughputBenchTest {
    @Test
    void forkedJvmsGetTheFlagsEveryJvmOfOursNeeds() {
        List<String> flags =
                List.of(ThroughputBench.class.getAnnotation(Fork.class).jvmArgsAppend());
        assertTrue(
                flags.containsAll(JvmLauncher.OPENS),
                () ->
                        "missing: "
                                + JvmLauncher.OPENS.stream()
                                        .filter(f -> !flags.contains(f))
                                        .toList());
        assertTrue(flags.contains("-Dai.djl.offline=true"));
    }

    @Test
    void theHeavyModelHasAboutAHundredTimesTheSmallOnesWorkPerRow() {
        assertEquals(35_328, ScoringModel.SMALL.macsPerRow());
        assertEquals(4_476_928, ScoringModel.HEAVY.macsPerRow());
    }
}
