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
import struct
import zlib

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


def write_png(name, a, color_type, depth, plte=None, trns=None):
    """A PNG written by hand, for the bit depths and colour types PIL does
    not write (16-bit RGB, grey with alpha, 1-bit, tRNS)."""
    h, w = a.shape[:2]
    if depth == 16:
        rows = [a[y].astype(">u2").tobytes() for y in range(h)]
    elif depth == 8:
        rows = [a[y].astype(np.uint8).tobytes() for y in range(h)]
    else:  # 1-bit grey
        rows = [np.packbits(a[y].astype(np.uint8)).tobytes() for y in range(h)]
    raw = b"".join(b"\x00" + r for r in rows)

    def chunk(typ, data):
        c = typ + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c))

    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0))
    if plte is not None:
        out += chunk(b"PLTE", bytes(plte))
    if trns is not None:
        out += chunk(b"tRNS", bytes(trns))
    out += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    with open(path(name), "wb") as f:
        f.write(out)


def path(name):
    return os.path.join(OUT, "imageutil_" + name)


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {
        "pillow": PIL.__version__,
        "diffusers": diffusers.__version__,
        "what": "PIL Image.thumbnail (default BICUBIC, reducing_gap=2.0) sizes and pixels; "
        "diffusers make_image_grid; diffusers load_image of JPEGs with EXIF orientation 1-8, "
        "an RGBA PNG, a lossless WebP and PNGs of other bit depths and colour types",
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

    # convert("RGB") of other PNG kinds. PIL keeps the high byte of 16-bit
    # colour but clips 16-bit grey (mode I;16) to 255.
    rng = np.random.default_rng(30)
    kinds = {
        "rgb16": (rng.integers(0, 65536, (5, 7, 3)), 2, 16, None, None),
        "rgba16": (rng.integers(0, 65536, (5, 7, 4)), 6, 16, None, None),
        "gray16": (rng.integers(0, 65536, (5, 7)) >> rng.integers(0, 16, (5, 7)), 0, 16, None, None),
        "la8": (rng.integers(0, 256, (5, 7, 2)), 4, 8, None, None),
        "la16": (rng.integers(0, 65536, (5, 7, 2)), 4, 16, None, None),
        "gray1": (rng.integers(0, 2, (5, 9)), 0, 1, None, None),
        "gray8trns": (rng.integers(0, 4, (5, 7)) * 60, 0, 8, None, [0, 60]),
        "ptrns": (rng.integers(0, 3, (5, 7)), 3, 8, [255, 0, 0, 0, 255, 0, 9, 8, 7], [0, 128]),
    }
    for name, (a, ct, depth, plte, trns) in kinds.items():
        write_png(f"kind_{name}.png", a, ct, depth, plte, trns)
        load_image(path(f"kind_{name}.png")).save(path(f"kind_{name}_want.png"))
    manifest["png_kinds"] = list(kinds)

    with open(os.path.join(OUT, "imageutil.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
