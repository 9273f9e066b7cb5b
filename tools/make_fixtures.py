#!/usr/bin/env python3
"""Writes the small TorchScript test fixtures and their reference outputs.

Run with Debian's python3-torch (apt-get install -y python3-torch):
    /usr/bin/python3 tools/make_fixtures.py connector/core/src/test/resources/fixtures

Every model is saved with torch.jit.save; next to it, <name>.ref.json holds a fixed input and the
outputs Python computed for it (float32 values written exactly as float64), which the Java tests
compare against. The skeleton fixture is made the way users make one: each parameter is replaced by
a stride-0 expand of one element before saving, and the real weights go to a .safetensors file.
"""
import json
import os
import struct
import sys

from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class SimpleClassifier(nn.Module):
    """The seed guide's model: Linear(128, 256) -> ReLU -> Linear(256, 10)."""

    def __init__(self):
        super().__init__()
        self.network = nn.Sequential(nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 10))

    def forward(self, x):
        return self.network(x)

    @torch.jit.export
    def embed(self, x):
        return torch.relu(self.network[0](x))


class BatchNormNet(nn.Module):
    """A model with buffers (BatchNorm running statistics), not only parameters."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.bn = nn.BatchNorm1d(32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(32, 16)

    def forward(self, x):
        return torch.tanh(self.proj(x))


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.out = nn.Linear(16, 4)

    def forward(self, x):
        return self.out(x)


class BufferTwin(nn.Module):
    """A buffer holding exactly the bytes of a parameter (fc.bias), used differently in forward:
    a skeleton must cut only the parameter's storage and keep the buffer's values."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.register_buffer("offset", self.fc.bias.detach().clone())

    def forward(self, x):
        return self.fc(x) * self.offset


class NoParams(nn.Module):
    def forward(self, x):
        return torch.relu(x) * 2.0


def tolist(t):
    return [[float(v) for v in row] for row in t.detach().to(torch.float32).tolist()]


def save(out_dir, name, module, example):
    module.eval()
    scripted = torch.jit.script(module)
    path = os.path.join(out_dir, name + ".pt")
    torch.jit.save(scripted, path)
    with torch.no_grad():
        ref = {"input": tolist(example), "output": tolist(scripted(example))}
        if hasattr(scripted, "embed"):
            ref["embed"] = tolist(scripted.embed(example))
    with open(os.path.join(out_dir, name + ".ref.json"), "w") as f:
        json.dump(ref, f)
    return scripted


SAFETENSORS_CODES = {
    torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.bool: "BOOL",
}


def write_safetensors(path, tensors):
    """Minimal safetensors writer (the format is an 8-byte header length, a JSON header, raw data)."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        code = SAFETENSORS_CODES[t.dtype]
        # numpy has no bfloat16: write the raw 2-byte patterns (the machine is little-endian)
        raw_t = t.view(torch.int16) if t.dtype == torch.bfloat16 else t
        data = raw_t.numpy().tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def save_skeleton(out_dir, name, scripted):
    """Weight-free skeleton: every parameter becomes a stride-0 expand of a single element."""
    weights = {n: p.detach().clone() for n, p in scripted.named_parameters()}
    write_safetensors(os.path.join(out_dir, name + ".safetensors"), weights)
    with torch.no_grad():
        for _, p in scripted.named_parameters():
            p.set_(p.data.flatten()[:1].clone().expand(p.shape))
    torch.jit.save(scripted, os.path.join(out_dir, name + "_skeleton.pt"))


# --- Models as users have them (issue #12): several inputs/outputs, every weight dtype. ---


class TwoInTwoOut(nn.Module):
    """forward(x, mask) -> (logits, embedding): two input columns, a tuple of two outputs."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 3)
        self.proj = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        masked = x * mask.to(x.dtype)
        return self.fc(masked), torch.tanh(self.proj(x))


class DictOut(nn.Module):
    """A dict of 1-D float, 2-D float and 1-D int64 outputs, keys neither sorted nor in hash order."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        logits = self.fc(x)
        probs = torch.softmax(logits, dim=1)
        # Four keys whose order a Java HashMap/ConcurrentHashMap would change (logits before label).
        return {"score": probs.max(dim=1).values, "probs": probs, "label": torch.argmax(logits, dim=1),
                "logits": logits}


class Bf16Mlp(nn.Module):
    """bfloat16 weights; forward casts its float input to bfloat16 and returns float32."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.fc1(x.to(torch.bfloat16)))
        return self.fc2(h).to(torch.float32)


class Bf16Raw(nn.Module):
    """bfloat16 weights, bfloat16 input expected, bfloat16 output (no casts inside)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class Bf16Out(nn.Module):
    """bfloat16 weights; forward casts its float input to bfloat16 and returns bfloat16."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.to(torch.bfloat16))


class Fp16Mlp(nn.Module):
    """float16 weights, float16 input expected, float16 output (no casts inside)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x)))


class F64Mlp(nn.Module):
    """float64 weights, float64 input and output."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.fc(x))


class IntParams(nn.Module):
    """Integer parameters: an int8 weight with a float32 per-row scale, an int64 column permutation."""

    def __init__(self):
        super().__init__()
        self.qweight = nn.Parameter(torch.randint(-127, 128, (4, 8), dtype=torch.int8), requires_grad=False)
        self.scale = nn.Parameter(torch.rand(4, 1) * 0.02 + 0.001)
        self.perm = nn.Parameter(torch.randperm(8), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xs = x.index_select(1, self.perm)
        return F.linear(xs, self.qweight.to(torch.float32) * self.scale)


class OptionalMask(nn.Module):
    """An Optional argument with a default, and an exported method taking an int."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        if mask is not None:
            x = x * mask
        return self.fc(x)

    @torch.jit.export
    def top(self, x: torch.Tensor, k: int) -> torch.Tensor:
        return torch.topk(self.fc(x), k, dim=1).values


class TracedTwoIn(nn.Module):
    """Saved with torch.jit.trace rather than script: argument names come from the trace."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, features, weights):
        return self.fc(features * weights)


def values(t):
    """A tensor as nested Python lists (floats for floating types, ints for integer types)."""
    t = t.detach()
    if t.is_floating_point():
        return t.to(torch.float64).tolist()
    return t.tolist()


def dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def save_io(out_dir, name, scripted, inputs, outputs, extra=None):
    """Writes <name>.pt's reference: named inputs, named outputs with dtypes, forward's schema."""
    path = os.path.join(out_dir, name + ".pt")
    torch.jit.save(scripted, path)
    ref = {
        "inputs": {k: values(v) for k, v in inputs.items()},
        "input_dtypes": {k: dtype_name(v) for k, v in inputs.items()},
        "outputs": {k: values(v) for k, v in outputs.items()},
        "output_dtypes": {k: dtype_name(v) for k, v in outputs.items()},
        "parameters": {n: {"dtype": dtype_name(p), "shape": list(p.shape)} for n, p in scripted.named_parameters()},
        "schema": str(scripted.forward.schema),
    }
    ref.update(extra or {})
    with open(os.path.join(out_dir, name + ".ref.json"), "w") as f:
        json.dump(ref, f)


def named_outputs(result):
    if isinstance(result, dict):
        return dict(result)
    if isinstance(result, tuple):
        return {str(i): v for i, v in enumerate(result)}
    return {"0": result}


def linear16(x, layer):
    """A float16 Linear as libtorch's CPU kernel computes it: float32 accumulation, one rounding."""
    return F.linear(x.float(), layer.weight.float(), layer.bias.float()).half()


def save_models_as_users_have_them(out_dir):
    torch.manual_seed(20261212)

    m = TwoInTwoOut().eval()
    x, mask = torch.randn(4, 8), (torch.rand(4, 8) > 0.3).to(torch.float32)
    s = torch.jit.script(m)
    with torch.no_grad():
        save_io(out_dir, "two_in_two_out", s, {"x": x, "mask": mask}, named_outputs(s(x, mask)))

    m = DictOut().eval()
    x = torch.randn(5, 6)
    s = torch.jit.script(m)
    with torch.no_grad():
        out = s(x)
    save_io(out_dir, "dict_out", s, {"x": x}, named_outputs(out), {"output_order": list(out.keys())})

    m = Bf16Mlp().to(torch.bfloat16).eval()
    x = torch.randn(4, 16)
    s = torch.jit.script(m)
    with torch.no_grad():
        save_io(out_dir, "bf16_mlp", s, {"x": x}, named_outputs(s(x)))
    save_skeleton(out_dir, "bf16_mlp", torch.jit.load(os.path.join(out_dir, "bf16_mlp.pt")))

    m = Bf16Raw().to(torch.bfloat16).eval()
    x = torch.randn(3, 8).to(torch.bfloat16)
    s = torch.jit.script(m)
    with torch.no_grad():
        save_io(out_dir, "bf16_raw", s, {"x": x}, named_outputs(s(x)))

    m = Fp16Mlp().to(torch.float16).eval()
    x = torch.randn(4, 16).to(torch.float16)
    s = torch.jit.script(m)
    with torch.no_grad():
        # torch 1.13 has no float16 matmul on CPU: compute the reference layer by layer in float32
        # with float16 rounding after each layer, as libtorch 2.x's CPU kernel does.
        ref = linear16(torch.relu(linear16(x, m.fc1).float()).half(), m.fc2)
    save_io(out_dir, "fp16_mlp", s, {"x": x}, {"0": ref})

    m = F64Mlp().to(torch.float64).eval()
    x = torch.randn(3, 8, dtype=torch.float64)
    s = torch.jit.script(m)
    with torch.no_grad():
        save_io(out_dir, "f64_mlp", s, {"x": x}, named_outputs(s(x)))

    m = IntParams().eval()
    x = torch.randn(3, 8)
    s = torch.jit.script(m)
    with torch.no_grad():
        save_io(out_dir, "int_params", s, {"x": x}, named_outputs(s(x)))

    m = OptionalMask().eval()
    x, mask = torch.randn(2, 4), torch.ones(2, 4)
    s = torch.jit.script(m)
    with torch.no_grad():
        save_io(out_dir, "optional_mask", s, {"x": x, "mask": mask}, named_outputs(s(x, mask)),
                {"top_schema": str(s.top.schema), "top_k2": values(s.top(x, 2))})

    m = TracedTwoIn().eval()
    x, w = torch.randn(2, 4), torch.rand(2, 4)
    with torch.no_grad():
        t = torch.jit.trace(m, (x, w))
        save_io(out_dir, "traced_two_in", t, {"features": x, "weights": w}, named_outputs(t(x, w)))

    m = Bf16Out().to(torch.bfloat16).eval()
    x = torch.randn(3, 8)
    s = torch.jit.script(m)
    with torch.no_grad():
        save_io(out_dir, "bf16_out", s, {"x": x}, named_outputs(s(x)))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "connector/core/src/test/resources/fixtures"
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(20261125)

    clf = SimpleClassifier()
    scripted = save(out_dir, "simple_classifier", clf, torch.randn(4, 128))
    save_skeleton(out_dir, "simple_classifier", torch.jit.load(os.path.join(out_dir, "simple_classifier.pt")))

    bn = BatchNormNet()
    bn.train()
    with torch.no_grad():
        for _ in range(20):
            bn(torch.randn(64, 16) * 3.0 + 1.5)
    save(out_dir, "batchnorm_net", bn, torch.randn(5, 16))

    save(out_dir, "encoder", Encoder(), torch.randn(3, 32))
    enc = torch.jit.load(os.path.join(out_dir, "encoder.pt"))
    dec = Decoder()
    dec_scripted = save(out_dir, "decoder", dec, torch.randn(3, 16))
    x = torch.randn(3, 32)
    with torch.no_grad():
        pipeline_ref = {"input": tolist(x), "output": tolist(dec_scripted(enc(x)))}
    with open(os.path.join(out_dir, "pipeline.ref.json"), "w") as f:
        json.dump(pipeline_ref, f)

    save(out_dir, "no_params", NoParams(), torch.randn(2, 8))
    save(out_dir, "buffer_twin", BufferTwin(), torch.randn(3, 8))
    save_models_as_users_have_them(out_dir)
    print("fixtures written to", out_dir)


if __name__ == "__main__":
    main()
