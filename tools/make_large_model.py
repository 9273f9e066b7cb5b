#!/usr/bin/env python3
"""Writes a multi-GB TorchScript MLP and its own outputs, for the large-model checks (issue #25).

    /usr/bin/python3 tools/make_large_model.py --out /work/tmp-large            # 2.4 GB
    /usr/bin/python3 tools/make_large_model.py --hidden 35 --out /work/tmp-large # ~5.2 GB

An MLP 1024 -> 4096 x N -> 10 with ReLUs (N = --hidden + 1 layers of width 4096; the default 35
gives 2,366,363,837 bytes), scripted and saved as huge.pt, plus huge.ref.json: --rows input rows
and the model's outputs for them, which `io.rayzerocopy.bench.LargeModelCheck` turns into Parquet
and compares with `rzc score`'s scores. Generated at run time, never committed.
"""
import argparse
import json
import os

import torch
import torch.nn as nn


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--hidden", type=int, default=35, help="4096x4096 layers (default 35)")
    ap.add_argument("--rows", type=int, default=64)
    ap.add_argument("--name", default="huge")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(25)
    layers = [nn.Linear(1024, 4096), nn.ReLU()]
    for _ in range(a.hidden):
        # Small weights keep activations in range through many layers.
        lin = nn.Linear(4096, 4096)
        with torch.no_grad():
            lin.weight.mul_(1.7)
        layers += [lin, nn.ReLU()]
    layers.append(nn.Linear(4096, 10))
    model = nn.Sequential(*layers).eval()
    scripted = torch.jit.script(model)
    path = os.path.join(a.out, a.name + ".pt")
    torch.jit.save(scripted, path)
    x = torch.rand(a.rows, 1024) * 2 - 1
    with torch.no_grad():
        y = scripted(x)
    with open(os.path.join(a.out, a.name + ".ref.json"), "w") as f:
        json.dump({"input": x.tolist(), "output": y.tolist()}, f)
    print(path, os.path.getsize(path), "bytes; output std", float(y.std()))


if __name__ == "__main__":
    main()
