"""Compares two 8-bit images of the same size, as the parity tests do: the
largest and the mean absolute difference in 1/255 steps, and the share of
values more than 2/255 apart.

    tools/reference/.venv/bin/python tools/reference/compare_png.py go.png diffusers.png
"""
import sys

import numpy as np
from PIL import Image


def main():
    a = np.asarray(Image.open(sys.argv[1]).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(sys.argv[2]).convert("RGB"), dtype=np.int16)
    if a.shape != b.shape:
        sys.exit(f"sizes differ: {a.shape} and {b.shape}")
    d = np.abs(a - b)
    print(f"max |diff| {d.max()}/255  mean {d.mean():.4f}/255  over 2/255: {(d > 2).mean() * 100:.3f}% of {d.size} values")


if __name__ == "__main__":
    main()
