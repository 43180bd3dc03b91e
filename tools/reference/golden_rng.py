"""Goldens for tensor/rng: torch CPU generator draws (randn, rand) in float32.

Run from the repository root: tools/reference/.venv/bin/python tools/reference/golden_rng.py
Writes testdata/golden/rng_torch.safetensors (small tensors in full) and
testdata/golden/rng_torch.json (sha256 of the float32 little-endian bytes of every draw).
"""
import hashlib
import json
import os

import numpy as np
import torch
from safetensors.torch import save_file

torch.set_num_threads(1)
OUT = "testdata/golden"
FULL_LIMIT = 1024  # store draws up to this many elements in full

SEEDS = [0, 42, 2**32 + 1, 1234567890123]
SHAPES = [(1,), (7,), (3, 5), (16,), (17,), (1, 4, 8, 8), (1, 4, 64, 64), (2, 4, 128, 128)]


def sha(t):
    return hashlib.sha256(t.contiguous().numpy().astype("<f4").tobytes()).hexdigest()


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors, cases = {}, []

    def record(name, kind, seed, shape, t, seq=None):
        entry = {"name": name, "kind": kind, "seed": seed, "shape": list(shape), "sha256": sha(t),
                 "sum": float(t.double().sum()), "first": [float(v) for v in t.flatten()[:4]]}
        if seq is not None:
            entry["sequence_index"] = seq
        if t.numel() <= FULL_LIMIT:
            tensors[name] = t.contiguous().clone()
            entry["stored"] = True
        cases.append(entry)

    for seed in SEEDS:
        for shape in SHAPES:
            g = torch.Generator("cpu").manual_seed(seed)
            t = torch.randn(shape, generator=g, dtype=torch.float32)
            record("randn_s%d_%s" % (seed, "x".join(map(str, shape))), "randn", seed, shape, t)
        g = torch.Generator("cpu").manual_seed(seed)
        record("rand_s%d_4x33" % seed, "rand", seed, (4, 33), torch.rand((4, 33), generator=g))

    # Several draws in sequence from one generator (exercises the cached
    # second Box-Muller sample of the scalar path and the engine position).
    seq = [("randn", (3,)), ("randn", (5,)), ("randn", (1, 4, 8, 8)), ("randn", (1,)), ("randn", (20,)),
           ("rand", (10,)), ("randn", (2,)), ("randn", (1, 4, 16, 16)), ("randn", (9,))]
    g = torch.Generator("cpu").manual_seed(7)
    for i, (kind, shape) in enumerate(seq):
        fn = torch.randn if kind == "randn" else torch.rand
        t = fn(shape, generator=g, dtype=torch.float32)
        record("seq_s7_%d_%s_%s" % (i, kind, "x".join(map(str, shape))), kind, 7, shape, t, seq=i)

    save_file(tensors, os.path.join(OUT, "rng_torch.safetensors"))
    manifest = {
        "description": "torch.randn / torch.rand on torch.Generator('cpu').manual_seed(seed), float32; "
                       "sha256 over float32 little-endian bytes; sequence cases drawn in order from one generator",
        "torch": torch.__version__,
        "numpy": np.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cases": cases,
    }
    with open(os.path.join(OUT, "rng_torch.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
