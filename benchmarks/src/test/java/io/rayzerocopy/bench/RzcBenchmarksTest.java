package io.rayzerocopy.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rayzerocopy.cli.Benchmarks;

import org.junit.jupiter.api.Test;

import java.util.ServiceLoader;

class RzcBenchmarksTest {
    @Test
    void rzcBenchFindsTheseHarnessesThroughTheCliInterface() {
        assertEquals(
                RzcBenchmarks.class,
                ServiceLoader.load(Benchmarks.class).findFirst().orElseThrow().getClass());
    }
}
