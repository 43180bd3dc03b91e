"""diffusers counterpart of BenchmarkTinyDecode512 (models/vae): decode one 64x64 latent to 512x512 with a
TAESD-size AutoencoderTiny, fp32, 2 threads; prints the best and median of N runs.

    tools/reference/.venv/bin/python tools/reference/bench_taesd.py [DIR] [N]
"""
import statistics
import sys
import time

import torch
from diffusers import AutoencoderTiny


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "testdata/fullsize/taesd"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_num_threads(2)
    v = AutoencoderTiny.from_pretrained(d).eval()
    z = torch.randn((1, 4, 64, 64), generator=torch.Generator().manual_seed(0))
    ts = []
    with torch.no_grad():
        for _ in range(n):
            t = time.perf_counter()
            v.decode(z)
            ts.append(time.perf_counter() - t)
    print(f"py  taesd decode 512x512: best {min(ts):.3f}s  median {statistics.median(ts):.3f}s  ({n} runs)")


if __name__ == "__main__":
    main()
