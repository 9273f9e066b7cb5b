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

import torch
import torch.nn as nn


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


def write_safetensors(path, tensors):
    """Minimal safetensors writer (the format is an 8-byte header length, a JSON header, raw data)."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
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
    print("fixtures written to", out_dir)


if __name__ == "__main__":
    main()
