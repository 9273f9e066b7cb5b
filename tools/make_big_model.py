#!/usr/bin/env python3
"""Writes a large MLP as TorchScript for the benchmarks (generated at run time, never committed).

    /usr/bin/python3 tools/make_big_model.py --layers 25 --width 2048 --out /tmp/bench-model

--inputs N makes the first layer take N features, --outputs N the last one give N outputs. Writes mlp.pt (weights inside), mlp_skeleton.pt (weight-free: stride-0 parameters) and
mlp.safetensors (the weights). Same architecture as io.rayzerocopy.bench.BenchModels: Linear(width)
layers with ReLU between.
"""
import argparse
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import write_safetensors  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, required=True)
    ap.add_argument("--width", type=int, default=2048)
    ap.add_argument("--inputs", type=int, default=0, help="input features (default: the width)")
    ap.add_argument("--outputs", type=int, default=0, help="outputs of the last layer (default: the width)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    mods = []
    for i in range(a.layers):
        last = i == a.layers - 1
        mods.append(
            nn.Linear(
                a.inputs if i == 0 and a.inputs > 0 else a.width,
                a.outputs if last and a.outputs > 0 else a.width,
            )
        )
        if i < a.layers - 1:
            mods.append(nn.ReLU())
    model = nn.Sequential(*mods).eval()
    scripted = torch.jit.script(model)
    torch.jit.save(scripted, os.path.join(a.out, "mlp.pt"))
    write_safetensors(os.path.join(a.out, "mlp.safetensors"), {n: p for n, p in scripted.named_parameters()})
    with torch.no_grad():
        for _, p in scripted.named_parameters():
            p.set_(p.data.flatten()[:1].clone().expand(p.shape))
    torch.jit.save(scripted, os.path.join(a.out, "mlp_skeleton.pt"))


if __name__ == "__main__":
    main()
