package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Fixtures;

import org.junit.jupiter.api.Test;

import java.util.List;

/** {@code rzc inspect}: what a model would put in the store, read without writing it. */
class InspectCommandTest {
    @Test
    void inspectListsTheParametersTheArgumentsAndTheStoreWithoutWritingIt() {
        RzcCliTest.Run r =
                RzcCliTest.rzc("inspect", Fixtures.path("batchnorm_net.pt").toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(r.out().contains("parameters: 6 tensors"), r.out());
        assertTrue(
                lines.stream()
                        .anyMatch(
                                l ->
                                        l.startsWith(
                                                "private (not a parameter, stays in each actor's"
                                                        + " skeleton): bn.running_mean")),
                r.out());
        assertTrue(
                lines.stream().anyMatch(l -> l.matches("arguments: forward\\(Tensor \\w+\\)")),
                r.out());
        assertTrue(
                lines.get(lines.size() - 1).endsWith("(not on this machine)"),
                "described without writing a store: " + r.out());
    }
}
