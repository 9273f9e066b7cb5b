package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** How {@code rzc} puts libtorch's multi-line errors (as DJL passes them on) into its one line. */
class ErrorLineTest {
    @Test
    void aCompileErrorKeepsItsCauseAndPosition() {
        String message =
                """
                cannot load TorchScript file /m/unknown_type.pt:\s
                Unknown type name 'NoSuchType':
                  File "code/__torch__/torch/nn/modules/container.py", line 10
                  def forward(self: __torch__.torch.nn.modules.container.Sequential,
                    input: NoSuchType) -> Tensor:
                           ~~~~~~~~~~ <--- HERE
                    _0 = getattr(self, "0")
                    _1 = getattr(self, "1")
                """;

        assertEquals(
                "cannot load TorchScript file /m/unknown_type.pt: Unknown type name 'NoSuchType':"
                        + " ... File \"code/__torch__/torch/nn/modules/container.py\", line 10",
                Rzc.firstLine(message));
    }

    @Test
    void aRuntimeErrorKeepsTheErrorLibtorchEndsWith() {
        String message =
                """
                forward failed: The following operation failed in the TorchScript interpreter.
                Traceback of TorchScript, serialized code (most recent call last):
                  File "code/__torch__.py", line 9, in forward
                    input = torch.linear(x, weight, bias)
                RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x64 and 128x256)
                """;

        assertEquals(
                "forward failed: The following operation failed in the TorchScript interpreter."
                        + " ... RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x64 and"
                        + " 128x256)",
                Rzc.firstLine(message));
        assertEquals("one line", Rzc.firstLine("one line\n"));
    }
}
