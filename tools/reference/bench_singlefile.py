"""diffusers counterpart of tools/singlefilebench: StableDiffusionPipeline.from_single_file (with a
local config folder, no network) or from_pretrained of the folder; time and peak RSS.

    tools/reference/.venv/bin/python tools/reference/bench_singlefile.py /tmp/sfbench/sd15.safetensors /tmp/sfbench/sd15 [fp16]
    tools/reference/.venv/bin/python tools/reference/bench_singlefile.py folder /tmp/sfbench/sd15 [fp16]
"""
import resource
import sys
import time

import torch
from diffusers import StableDiffusionPipeline


def main():
    path, folder = sys.argv[1], sys.argv[2]
    half = len(sys.argv) > 3 and sys.argv[3] == "fp16"
    dtype = torch.float16 if half else torch.float32
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    if path == "folder":
        StableDiffusionPipeline.from_pretrained(folder, torch_dtype=dtype, variant="fp16" if half else None,
                                                safety_checker=None)
    else:
        StableDiffusionPipeline.from_single_file(path, config=folder, torch_dtype=dtype, safety_checker=None)
    el = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"py  {'from_pretrained' if path == 'folder' else 'from_single_file ' + path} {dtype}: {el:.2f}s  peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
