"""Writes full-size random-weight components, built from the real configs in testdata/configs/,
for opt-in tests and benchmarks (testdata/fullsize/ is git-ignored).

    tools/reference/.venv/bin/python tools/reference/fullsize.py [--fp16] [--seed N] [--out DIR] WHICH...

WHICH is <model>/<component> or <model> (meaning <model>/unet), or "all":
    models:      sd15, sd-inpaint, sd21, sdxl, sdxl-refiner, lcm, sd-turbo, sdxl-turbo, taesd, taesdxl
    components:  unet, vae, text_encoder, text_encoder_2 (those the model has)
    all:         sd15/unet sd21/unet sdxl/unet sd-inpaint/unet sd15/vae sd15/text_encoder
Each goes to <out>/<model>/<component>/ (default out testdata/fullsize) in the Hub layout:
config.json plus diffusion_pytorch_model.safetensors (diffusers) or model.safetensors (transformers);
with --fp16 the same weights cast to float16 as the "fp16" variant (*.fp16.safetensors), next to
any fp32 file. Weights are the classes' own random initialisation after torch.manual_seed(seed)
(default 0), so a given seed always gives the same weights. Files are written tensor by tensor
(one file, no sharding), so peak memory is about the model's size.
"""

import argparse
import json
import os
import sys
import time

import torch
from diffusers import AutoencoderKL, AutoencoderTiny, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

MODELS = {
    "sd15": "runwayml--stable-diffusion-v1-5",
    "sd-inpaint": "runwayml--stable-diffusion-inpainting",
    "sd21": "stabilityai--stable-diffusion-2-1",
    "sdxl": "stabilityai--stable-diffusion-xl-base-1.0",
    "sdxl-refiner": "stabilityai--stable-diffusion-xl-refiner-1.0",
    "lcm": "SimianLuo--LCM_Dreamshaper_v7",
    "sd-turbo": "stabilityai--sd-turbo",
    "sdxl-turbo": "stabilityai--sdxl-turbo",
    # component repos: their config.json is at the top (WHICH is just the name)
    "taesd": "madebyollin--taesd",
    "taesdxl": "madebyollin--taesdxl",
}
COMPONENT_REPOS = ("taesd", "taesdxl")
ALL = ["sd15/unet", "sd21/unet", "sdxl/unet", "sd-inpaint/unet", "sd15/vae", "sd15/text_encoder"]
CONFIGS = os.path.join("testdata", "configs")

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def save_safetensors(path, tensors, metadata=None):
    """Writes a safetensors file one tensor at a time (no full in-memory copy of the model)."""
    names = sorted(tensors)
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    for n in names:
        t = tensors[n]
        size = t.numel() * t.element_size()
        header[n] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        offset += size
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * (-len(hb) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(len(hb).to_bytes(8, "little"))
        f.write(hb)
        for n in names:
            t = tensors[n].detach().contiguous()
            f.write(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    os.replace(tmp, path)


def build(model, comp, seed):
    path = os.path.join(CONFIGS, MODELS[model], comp, "config.json")
    with open(path) as f:
        cfg = json.load(f)
    torch.manual_seed(seed)
    diffusers_cls = {"UNet2DConditionModel": UNet2DConditionModel, "AutoencoderKL": AutoencoderKL,
                     "AutoencoderTiny": AutoencoderTiny}
    if cfg.get("_class_name") in diffusers_cls:
        return diffusers_cls[cfg["_class_name"]].from_config(cfg), "diffusion_pytorch_model"
    arch = cfg["architectures"][0]
    cls = {"CLIPTextModel": CLIPTextModel, "CLIPTextModelWithProjection": CLIPTextModelWithProjection}[arch]
    return cls(CLIPTextConfig.from_dict(cfg)), "model"


def write(model, comp, out_root, fp16, seed):
    t0 = time.time()
    m, base = build(model, comp, seed)
    m.eval()
    out = os.path.join(out_root, model, comp)
    os.makedirs(out, exist_ok=True)
    if base == "model":
        m.config.save_pretrained(out)
    else:
        m.save_config(out)
    name = base + ".safetensors"
    if fp16:
        m.half()  # parameter by parameter: peak memory stays about the fp32 model's
        name = base + ".fp16.safetensors"
    sd = m.state_dict()
    file = os.path.join(out, name)
    save_safetensors(file, sd, {"format": "pt"})
    n = sum(v.numel() for v in sd.values())
    print(f"{model}/{comp}: {n:,d} params -> {file} ({os.path.getsize(file) / 2**20:.0f} MiB, {time.time() - t0:.0f}s)")


def parse(which):
    items = []
    for w in which:
        if w == "all":
            items += [tuple(x.split("/")) for x in ALL]
            continue
        model, _, comp = w.partition("/")
        comp = comp or ("." if model in COMPONENT_REPOS else "unet")
        if model not in MODELS:
            sys.exit(f"unknown model {model!r}; known: {', '.join(MODELS)}")
        if not os.path.isfile(os.path.join(CONFIGS, MODELS[model], comp, "config.json")):
            sys.exit(f"{model} has no {comp} config in {CONFIGS}")
        items.append((model, comp))
    return items


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("which", nargs="+")
    ap.add_argument("--fp16", action="store_true", help="write the fp16 variant instead of fp32")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=os.path.join("testdata", "fullsize"))
    args = ap.parse_args()
    if not os.path.isdir(CONFIGS):
        sys.exit("run from the repository root")
    torch.set_num_threads(2)
    for model, comp in parse(args.which):
        with torch.no_grad():
            write(model, comp, args.out, args.fp16, args.seed)


if __name__ == "__main__":
    main()
