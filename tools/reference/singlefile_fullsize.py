"""Full-size single-file benchmark inputs: an SD 1.5 diffusers folder written by fullsize.py, turned
into an LDM single file (the recipe of singlefile_fixtures.py), fp32 and fp16.

    tools/reference/.venv/bin/python tools/reference/singlefile_fullsize.py /tmp/sfbench [--convert-only]

Writes <out>/sd15/{unet,vae,text_encoder} (fullsize.py, fp32 and the fp16 variant), the SD 1.5
configs and tokenizer next to them (so the folder loads as a pipeline), and
<out>/sd15.safetensors, <out>/sd15.fp16.safetensors. Tensors are converted and written one at a
time (peak memory about one tensor).
"""
import json
import os
import shutil
import subprocess
import sys

import torch
from safetensors import safe_open

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fullsize  # noqa: E402
import singlefile_fixtures as sf  # noqa: E402

CONFIGS = os.path.join("models", "singlefile", "configs")


def header_and_writer(folder, rec, variant):
    files = {c: safe_open(sf.weights_file(folder, c, variant), "pt") for c in ("unet", "vae", "text_encoder")}
    dtype = torch.float16 if variant == "fp16" else torch.float32

    def make(entry):
        name, op, comp, srcs = entry
        if op == "zeros":
            return torch.zeros(comp, dtype=dtype)
        ts = [files[comp].get_tensor(s) for s in srcs]
        return {"": lambda: ts[0], "T": lambda: ts[0].T, "cat": lambda: torch.cat(ts, 0),
                "conv": lambda: ts[0][:, :, None, None]}[op]().contiguous()
    return make


def write_single(folder, rec, variant, path):
    make = header_and_writer(folder, rec, variant)
    header, offset, order = {}, 0, sorted(rec, key=lambda e: e[0])
    shapes = {}
    for e in order:  # shapes and dtypes first (one tensor in memory at a time)
        t = make(e)
        shapes[e[0]] = (list(t.shape), fullsize.DTYPES[t.dtype], t.numel() * t.element_size())
    for name, (shape, dt, size) in shapes.items():
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * (-len(hb) % 8)
    with open(path, "wb") as f:
        f.write(len(hb).to_bytes(8, "little"))
        f.write(hb)
        for e in order:
            f.write(make(e).reshape(-1).view(torch.uint8).numpy().tobytes())
    print(f"wrote {path} ({os.path.getsize(path) / 2**20:.0f} MiB)")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/sfbench"
    folder = os.path.join(out, "sd15")
    py = sys.executable
    if "--convert-only" not in sys.argv:
        write_folder(py, out, folder)
    rec = recipe_for(folder)
    write_single(folder, rec, None, os.path.join(out, "sd15.safetensors"))
    write_single(folder, rec, "fp16", os.path.join(out, "sd15.fp16.safetensors"))


def write_folder(py, out, folder):
    for flag in ([], ["--fp16"]):
        subprocess.run([py, "tools/reference/fullsize.py", "--out", out, "sd15/unet", "sd15/vae", "sd15/text_encoder"]
                       + flag, check=True)
    ref = os.path.join(CONFIGS, "runwayml--stable-diffusion-v1-5")
    for root, _, names in os.walk(ref):
        rel = os.path.relpath(root, ref)
        os.makedirs(os.path.join(folder, rel), exist_ok=True)
        for n in names:
            if not (rel in ("unet", "vae", "text_encoder") and n == "config.json"):
                shutil.copy(os.path.join(root, n), os.path.join(folder, rel, n))
    for n in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(CONFIGS, "clip", n), os.path.join(folder, "tokenizer", n))


def recipe_for(folder):
    root, name = os.path.split(folder)
    return sf.recipe(name, sf.FIXTURES["tiny-sd"][0], root=root)


if __name__ == "__main__":
    main()
