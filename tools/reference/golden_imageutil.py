"""Goldens for autopipeline/imageutil.go: PIL's Image.thumbnail (size rule and
pixels, including the reducing_gap=2.0 reduce step), diffusers'
make_image_grid and load_image (EXIF orientation, RGBA and WebP inputs).

Run from the repository root with no arguments:
    tools/reference/.venv/bin/python tools/reference/golden_imageutil.py
Writes testdata/golden/imageutil_*.png, *.jpg, *.webp and imageutil.json.
"""

import json
import os
import random

import numpy as np
import PIL
from PIL import Image

import diffusers
from diffusers.utils import load_image, make_image_grid

OUT = "testdata/golden"


def pattern(w, h, seed, mode="RGB"):
    """A smooth gradient plus noise, so that resampling errors show."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([255 * x / max(w - 1, 1), 255 * y / max(h - 1, 1),
                     127 + 100 * np.sin((x + 2 * y) / 5.0)], axis=-1)
    noisy = base + rng.normal(0, 25, size=base.shape)
    a = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
    if mode == "RGBA":
        alpha = rng.integers(0, 256, size=(h, w, 1), dtype=np.uint8)
        a = np.concatenate([a, alpha], axis=-1)
    return Image.fromarray(a, mode)


def quadrants(w, h):
    """Four flat colours, one per quadrant, so orientation is obvious and
    JPEG noise stays small."""
    a = np.zeros((h, w, 3), np.uint8)
    a[: h // 2, : w // 2] = (230, 30, 30)
    a[: h // 2, w // 2:] = (30, 200, 40)
    a[h // 2:, : w // 2] = (40, 60, 220)
    a[h // 2:, w // 2:] = (240, 230, 50)
    return Image.fromarray(a, "RGB")


def path(name):
    return os.path.join(OUT, "imageutil_" + name)


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {
        "pillow": PIL.__version__,
        "diffusers": diffusers.__version__,
        "what": "PIL Image.thumbnail (default BICUBIC, reducing_gap=2.0) sizes and pixels; "
        "diffusers make_image_grid; diffusers load_image of JPEGs with EXIF orientation 1-8, "
        "an RGBA PNG and a lossless WebP",
    }

    # Thumbnail pixels: no reduce step, reduce with partial edge blocks,
    # different factors per axis.
    srcs = {"a": pattern(97, 61, 1), "b": pattern(403, 197, 2), "c": pattern(300, 40, 3)}
    for k, im in srcs.items():
        im.save(path(f"src_{k}.png"))
    thumbs = []
    for src, box in [("a", (48, 48)), ("a", (1000, 20)), ("b", (50, 50)), ("b", (30, 100)),
                     ("c", (20, 40)), ("c", (100, 40)), ("b", (9, 9))]:
        im = srcs[src].copy()
        im.thumbnail(box)
        name = f"thumb_{src}_{box[0]}x{box[1]}"
        im.save(path(name + ".png"))
        thumbs.append({"src": src, "max": list(box), "size": list(im.size), "name": name})
    manifest["thumbnails"] = thumbs

    # Thumbnail size rule on many shapes.
    rnd = random.Random(7)
    sizes = []
    for _ in range(300):
        w, h = rnd.randint(1, 3000), rnd.randint(1, 3000)
        mw, mh = rnd.randint(1, 1200), rnd.randint(1, 1200)
        im = Image.new("L", (w, h))
        im.thumbnail((mw, mh), Image.Resampling.NEAREST, reducing_gap=None)
        sizes.append([w, h, mw, mh, im.size[0], im.size[1]])
    manifest["thumbnail_sizes"] = sizes

    # make_image_grid: the first image sets the cell size; smaller images
    # leave black, larger ones spill into later cells and are cropped at the
    # grid's edge; an L image is converted.
    grid_in = [pattern(16, 12, 10), pattern(16, 12, 11), pattern(10, 8, 12),
               pattern(20, 15, 13), pattern(16, 12, 14).convert("L"), pattern(16, 12, 15)]
    for i, im in enumerate(grid_in):
        im.save(path(f"grid_in{i}.png"))
    make_image_grid(grid_in, rows=2, cols=3).save(path("grid_2x3.png"))
    make_image_grid(grid_in[:4], rows=4, cols=1).save(path("grid_4x1.png"))
    make_image_grid([grid_in[i] for i in (0, 3, 1, 2)], rows=2, cols=2).save(path("grid_2x2.png"))

    # load_image: EXIF orientation (PIL.ImageOps.exif_transpose), RGBA, WebP.
    q = quadrants(40, 24)
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        q.save(path(f"exif{o}.jpg"), quality=95, subsampling=0, exif=exif)
        load_image(path(f"exif{o}.jpg")).save(path(f"exif{o}_want.png"))
    rgba = pattern(21, 13, 20, "RGBA")
    rgba.save(path("rgba.png"))
    load_image(path("rgba.png")).save(path("rgba_want.png"))
    pattern(20, 12, 21, "RGBA").save(path("lossless.webp"), lossless=True, exact=True)
    load_image(path("lossless.webp")).save(path("lossless_want.png"))

    with open(os.path.join(OUT, "imageutil.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
