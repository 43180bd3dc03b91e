"""Synthetic shapes dataset for the demo model (internal/demo/shapes-sd), 64x64 RGB.

A scene is one to three flat shapes on a flat background, captioned in plain English:

    "a red circle on a blue background"
    "a small yellow triangle at the top left on a black background"
    "two green squares on a white background"

Attributes: colour (COLOURS), shape (circle, square, triangle), size (small, default, large),
position (a 3x3 grid: "at the top left", "on the right", "in the center", ...), count (one to
three; several shapes get random places and no position words) and background colour. Parts of a
caption are left out at random (the attribute is then random) and one caption in ten is empty, for
classifier-free guidance.

HELD_OUT is a fixed set of (colour, shape, position, background) combinations the training data
never shows with all four attributes named; `python tools/reference/demo_data.py` writes
testdata/demo/prompts.json, the held-out prompts the Go accuracy test generates, and a preview grid.

Deterministic: every draw comes from a numpy Generator seeded by the caller.
"""

import itertools
import json
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

SIZE = 64
SUPER = 4  # drawn at 4x and downsampled, for smooth edges

COLOURS = {
    "red": (220, 30, 30),
    "orange": (245, 140, 20),
    "yellow": (240, 220, 30),
    "green": (30, 170, 50),
    "blue": (30, 70, 220),
    "purple": (140, 50, 190),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
}
SHAPES = ["circle", "square", "triangle"]
SIZES = {"small": 7, "": 11, "large": 17}  # half extent in pixels; "" is the unnamed default
GRID = [16, 32, 48]
POSITIONS = {  # name -> (column, row) in the 3x3 grid
    "top left": (0, 0), "top": (1, 0), "top right": (2, 0),
    "left": (0, 1), "center": (1, 1), "right": (2, 1),
    "bottom left": (0, 2), "bottom": (1, 2), "bottom right": (2, 2),
}
COUNTS = {1: "a", 2: "two", 3: "three"}


def position_phrase(pos):
    if pos == "center":
        return "in the center"
    if pos in ("left", "right"):
        return "on the " + pos
    return "at the " + pos


def _held_out():
    combos = list(itertools.product(COLOURS, SHAPES, POSITIONS, COLOURS))
    combos = [c for c in combos if c[0] != c[3]]
    rng = np.random.default_rng(1234)
    pick = rng.choice(len(combos), size=len(combos) // 20, replace=False)
    return {combos[i] for i in sorted(pick)}


HELD_OUT = _held_out()


def draw_shape(d, shape, cx, cy, r, colour):
    s = SUPER
    cx, cy, r = cx * s, cy * s, r * s
    if shape == "circle":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    elif shape == "square":
        q = r * 0.9
        d.rectangle([cx - q, cy - q, cx + q, cy + q], fill=colour)
    else:
        d.polygon([(cx, cy - r), (cx + r, cy + r * 0.8), (cx - r, cy + r * 0.8)], fill=colour)


def render(scene):
    """scene: dict with bg, shapes = [(shape, colour, cx, cy, r)]; returns uint8 [64, 64, 3]."""
    img = Image.new("RGB", (SIZE * SUPER, SIZE * SUPER), COLOURS[scene["bg"]])
    d = ImageDraw.Draw(img)
    for shape, colour, cx, cy, r in scene["shapes"]:
        draw_shape(d, shape, cx, cy, r, COLOURS[colour])
    img = img.resize((SIZE, SIZE), Image.Resampling.BOX)
    return np.asarray(img, dtype=np.uint8)


def _place(rng, pos, r):
    lo, hi = r + 1, SIZE - 2 - r
    if pos is None:
        return float(rng.uniform(lo, hi)), float(rng.uniform(lo, hi))
    col, row = POSITIONS[pos]
    cx = GRID[col] + rng.uniform(-3, 3)
    cy = GRID[row] + rng.uniform(-3, 3)
    return float(np.clip(cx, lo, hi)), float(np.clip(cy, lo, hi))


def _scatter(rng, n, r):
    """n non-overlapping centres for shapes of half extent r (best effort)."""
    pts = []
    for _ in range(200):
        if len(pts) == n:
            break
        p = _place(rng, None, r)
        if all((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 > (2.2 * r) ** 2 for q in pts):
            pts.append(p)
    while len(pts) < n:
        pts.append(_place(rng, None, r))
    return pts


def caption(count, size, colour, shape, pos, bg):
    """The caption for these attributes; None leaves an attribute unnamed."""
    words = [COUNTS[count]]
    if size:
        words.append(size)
    if colour:
        words.append(colour)
    words.append(shape + ("s" if count > 1 else ""))
    if count == 1 and words[1][0] in "aeiou":
        words[0] = "an"
    if pos:
        words.append(position_phrase(pos))
    if bg:
        words += ["on an" if bg[0] in "aeiou" else "on a", bg, "background"]
    return " ".join(words)


def _attributes(rng):
    count = int(rng.choice([1, 2, 3], p=[0.8, 0.1, 0.1]))
    while True:
        colour = str(rng.choice(list(COLOURS)))
        bg = str(rng.choice(list(COLOURS)))
        shape = str(rng.choice(SHAPES))
        pos = str(rng.choice(list(POSITIONS)))
        if colour != bg and (count > 1 or (colour, shape, pos, bg) not in HELD_OUT):
            break
    size = str(rng.choice(list(SIZES), p=[0.25, 0.5, 0.25] if count == 1 else [0.5, 0.5, 0.0]))
    return count, size, colour, shape, pos, bg


def sample(rng):
    """One (image uint8 [64,64,3], caption) pair."""
    count, size, colour, shape, pos, bg = _attributes(rng)
    empty = rng.random() < 0.1
    keep = rng.random(4) > np.array([0.05, 0.1, 0.15, 0.15])  # colour, size, position, background
    if not keep[1]:
        size = ""  # no size word means the default size
    r = SIZES[size] * rng.uniform(0.9, 1.1)
    centres = [_place(rng, pos, r)] if count == 1 else _scatter(rng, count, r)
    img = render({"bg": bg, "shapes": [(shape, colour, cx, cy, r) for cx, cy in centres]})
    if empty:
        return img, ""
    text = caption(count, size, colour if keep[0] else None, shape,
                   pos if keep[2] and count == 1 else None, bg if keep[3] else None)
    return img, text


def test_prompts(n=36, seed=7):
    """n held-out single-shape prompts with their attributes, for the Go accuracy test."""
    rng = np.random.default_rng(seed)
    combos = sorted(HELD_OUT)
    pick = rng.choice(len(combos), size=n, replace=False)
    out = []
    for i in pick:
        colour, shape, pos, bg = combos[i]
        out.append({"prompt": caption(1, "", colour, shape, pos, bg), "colour": colour,
                    "shape": shape, "position": pos, "background": bg})
    return out


def main():
    outdir = os.path.join("testdata", "demo")
    os.makedirs(outdir, exist_ok=True)
    prompts = test_prompts()
    doc = {"palette": {k: list(v) for k, v in COLOURS.items()},
           "positions": {k: list(v) for k, v in POSITIONS.items()},
           "cases": prompts}
    with open(os.path.join(outdir, "prompts.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    if len(sys.argv) > 1:  # preview grid of training samples
        rng = np.random.default_rng(0)
        tiles = [sample(rng) for _ in range(64)]
        grid = np.zeros((8 * SIZE, 8 * SIZE, 3), np.uint8)
        for k, (img, text) in enumerate(tiles):
            grid[(k // 8) * SIZE:(k // 8 + 1) * SIZE, (k % 8) * SIZE:(k % 8 + 1) * SIZE] = img
            print(k, repr(text))
        Image.fromarray(grid).save(sys.argv[1])


if __name__ == "__main__":
    main()
