package io.rayzerocopy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rayzerocopy.Fixtures;
import io.rayzerocopy.internal.data.ParquetFixtures;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

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

    /** The simple classifier with its forward's argument typed by a type libtorch does not know. */
    private static Path withUnknownType(Path dir) throws Exception {
        Path model = dir.resolve("unknown_type.pt");
        try (ZipFile in = new ZipFile(Fixtures.path("simple_classifier.pt").toFile());
                ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(model))) {
            for (ZipEntry entry : Collections.list(in.entries())) {
                byte[] bytes = in.getInputStream(entry).readAllBytes();
                if (entry.getName().endsWith("modules/container.py")) {
                    bytes =
                            new String(bytes, StandardCharsets.UTF_8)
                                    .replace("input: Tensor)", "input: NoSuchType)")
                                    .getBytes(StandardCharsets.UTF_8);
                }
                ZipEntry copy = new ZipEntry(entry.getName());
                copy.setMethod(ZipEntry.STORED);
                copy.setSize(bytes.length);
                CRC32 crc = new CRC32();
                crc.update(bytes);
                copy.setCrc(crc.getValue());
                out.putNextEntry(copy);
                out.write(bytes);
                out.closeEntry();
            }
        }
        return model;
    }

    @Test
    void aModelLibtorchCannotCompileIsRefusedWithItsCause(@TempDir Path dir) throws Exception {
        Path in = Files.createDirectory(dir.resolve("in"));
        ParquetFixtures.writeFeatures(
                in.resolve("p.parquet"), 0, Fixtures.ref("simple_classifier", "input"));
        JobChecksCliTest.Run r =
                JobChecksCliTest.rzc(
                        "score",
                        "--model",
                        withUnknownType(dir).toString(),
                        "--input",
                        in.toString(),
                        "--output",
                        dir.resolve("out").toString(),
                        "--input-column",
                        "features");

        assertEquals(2, r.code(), r.err());
        String line = r.err().lines().filter(l -> l.startsWith("rzc: ")).findFirst().orElseThrow();
        assertTrue(
                line.contains(": Unknown type name 'NoSuchType': File \"code/__torch__/torch/nn/"
                        + "modules/container.py\", line 10"),
                line);
    }
}
