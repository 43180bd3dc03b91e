"""diffusers counterpart of tools/loadbench: UNet2DConditionModel.from_pretrained
time and peak RSS (fp32 in memory).

    tools/reference/.venv/bin/python tools/reference/bench_load.py testdata/fullsize/sd15/unet fp16
"""
import resource
import sys
import time

import torch
from diffusers import UNet2DConditionModel


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "testdata/fullsize/sd15/unet"
    variant = sys.argv[2] if len(sys.argv) > 2 else None
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    m = UNet2DConditionModel.from_pretrained(d, variant=variant, torch_dtype=torch.float32)
    el = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"py  UNet2DConditionModel.from_pretrained {d} variant={variant!r}: {el:.2f}s  peak RSS {rss:.0f} MB  ({m.config.in_channels})")


if __name__ == "__main__":
    main()
