package io.rayzerocopy.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Fork;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Set;

class ThroughputBenchTest {
    /**
     * The forked JVMs (JMH's, and the memory harness's own) get the {@code --add-opens} this test
     * JVM runs with: the build's list (the parent pom's {@code test.jvm.args}), which every JVM of
     * ours needs.
     */
    @Test
    void forkedJvmsGetTheFlagsEveryJvmOfOursNeeds() {
        List<String> flags =
                List.of(ThroughputBench.class.getAnnotation(Fork.class).jvmArgsAppend());
        List<String> opens =
                ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                        .filter(a -> a.startsWith("--add-opens"))
                        .toList();
        assertTrue(opens.size() >= 9, "this JVM runs with the build's flags: " + opens);
        assertTrue(
                flags.containsAll(opens),
                () -> "missing: " + opens.stream().filter(f -> !flags.contains(f)).toList());
        assertTrue(flags.contains("-Dai.djl.offline=true"));
        assertEquals(Set.copyOf(opens), Set.copyOf(ChildJvm.OPENS), "the harnesses' child JVMs");
    }

    @Test
    void theHeavyModelHasAboutAHundredTimesTheSmallOnesWorkPerRow() {
        assertEquals(35_328, ScoringModel.SMALL.macsPerRow());
        assertEquals(4_476_928, ScoringModel.HEAVY.macsPerRow());
    }
}
