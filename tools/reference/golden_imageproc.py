"""Goldens for the image processor: Pillow Lanczos resizes and diffusers'
VaeImageProcessor pre/post-processing."""
import json
import os

import numpy as np
import PIL
from PIL import Image

OUT = "testdata/golden"


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(7)
    cases = []
    for name, (w, h), (ow, oh), mode in [
        ("up_rgb", (37, 29), (64, 48), "RGB"),
        ("down_rgb", (100, 80), (40, 32), "RGB"),
        ("mixed_rgb", (50, 20), (24, 40), "RGB"),
        ("down_l", (90, 70), (64, 32), "L"),
    ]:
        shape = (h, w, 3) if mode == "RGB" else (h, w)
        # smooth-ish content plus noise so both flat and sharp regions are covered
        arr = rng.integers(0, 256, size=shape, dtype=np.uint8)
        src = Image.fromarray(arr, mode=mode)
        dst = src.resize((ow, oh), resample=Image.LANCZOS)
        src.save(f"{OUT}/resize_{name}_in.png")
        dst.save(f"{OUT}/resize_{name}_out.png")
        cases.append(name)
    with open(f"{OUT}/resize.json", "w") as f:
        json.dump({"pillow": PIL.__version__, "cases": cases,
                   "what": "Image.resize(size, LANCZOS) of random 8-bit images"}, f, indent=1)


if __name__ == "__main__":
    main()
