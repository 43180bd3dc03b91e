"""End-to-end pipeline goldens: diffusers' AutoPipeline on the tiny fixtures,
CPU, float32, generator=torch.Generator("cpu").manual_seed(seed).

Writes testdata/golden/pipe_<case>.safetensors ("images": float32 [N,H,W,3]
in [0,1] before 8-bit rounding) and pipe_<case>.json (parameters, nsfw flags),
plus the input image and mask PNGs the cases use."""
import json
import os
import sys
import types

import diffusers
import numpy as np
import torch
import transformers
from diffusers import (AutoPipelineForImage2Image, AutoPipelineForInpainting,
                       AutoPipelineForText2Image)
from PIL import Image
from safetensors.torch import save_file

OUT = "testdata/golden"
TD = "testdata"


def smooth_image(w, h, seed):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(w, h)
    img = np.zeros((h, w, 3))
    for c in range(3):
        a, b, p = rng.uniform(2, 6, 3)
        img[..., c] = 0.5 + 0.4 * np.sin(a * xx * 3.1 + b * yy * 2.3 + p)
    img += rng.normal(0, 0.03, img.shape)
    return Image.fromarray((np.clip(img, 0, 1) * 255).round().astype(np.uint8))


def mask_image(w, h, offset=False):
    m = np.zeros((h, w), dtype=np.uint8)
    if offset:
        # an off-centre rectangle with a soft edge (exercises the crop
        # region, the fill resize and the overlay's alpha arithmetic)
        m[6:30, 10:44] = 128
        m[8:28, 12:42] = 255
        return Image.fromarray(m, mode="L")
    m[h // 4: 3 * h // 4, w // 4: 3 * w // 4] = 255
    return Image.fromarray(m, mode="L")


def inputs():
    os.makedirs(OUT, exist_ok=True)
    paths = {}
    for name, (w, h) in {"img64": (64, 64), "img128": (128, 128), "img72x56": (72, 56), "img96x64": (96, 64)}.items():
        p = f"{OUT}/pipe_input_{name}.png"
        smooth_image(w, h, len(name) + w).save(p)
        paths[name] = p
    for name, (w, h) in {"mask64": (64, 64), "mask128": (128, 128)}.items():
        p = f"{OUT}/pipe_input_{name}.png"
        mask_image(w, h).save(p)
        paths[name] = p
    p = f"{OUT}/pipe_input_mask96x64off.png"
    mask_image(96, 64, offset=True).save(p)
    paths["mask96x64off"] = p
    return paths


# name -> (auto class, fixture, call kwargs, load kwargs)
CASES = {
    "sd_t2i": (AutoPipelineForText2Image, "tiny-sd", dict(prompt="a photo of an astronaut riding a horse", num_inference_steps=3, seed=0), {}),
    "sd_t2i_nosafety": (AutoPipelineForText2Image, "tiny-sd", dict(prompt="a photo of an astronaut riding a horse", negative_prompt="blurry", num_inference_steps=3, guidance_scale=6.0, seed=42, num_images_per_prompt=2), dict(safety_checker=None)),
    "sd_t2i_rescale": (AutoPipelineForText2Image, "tiny-sd", dict(prompt="a red cube on a blue table", num_inference_steps=2, guidance_rescale=0.7, seed=3), dict(safety_checker=None)),
    "sd_t2i_clipskip": (AutoPipelineForText2Image, "tiny-sd", dict(prompt="a red cube on a blue table", num_inference_steps=2, clip_skip=2, seed=5), dict(safety_checker=None)),
    "sd_i2i": (AutoPipelineForImage2Image, "tiny-sd", dict(prompt="a portrait of a dog", image="img72x56", strength=0.6, num_inference_steps=5, seed=1), dict(safety_checker=None)),
    "sd_inpaint4": (AutoPipelineForInpainting, "tiny-sd", dict(prompt="a cat on a bench", image="img64", mask_image="mask64", strength=0.75, num_inference_steps=4, seed=2), dict(safety_checker=None)),
    "sd_inpaint_crop": (AutoPipelineForInpainting, "tiny-sd", dict(prompt="a cat on a bench", image="img96x64", mask_image="mask96x64off", padding_mask_crop=4, strength=0.8, num_inference_steps=3, seed=8), dict(safety_checker=None)),
    "sd_inpaint9": (AutoPipelineForInpainting, "tiny-sd-inpaint", dict(prompt="a cat on a bench", image="img64", mask_image="mask64", num_inference_steps=3, seed=5), {}),
    "sd2_t2i": (AutoPipelineForText2Image, "tiny-sd2", dict(prompt="a castle in the clouds", num_inference_steps=3, seed=7), {}),
    "sdxl_t2i": (AutoPipelineForText2Image, "tiny-sdxl", dict(prompt="a castle in the clouds", num_inference_steps=3, seed=11), {}),
    "sdxl_i2i": (AutoPipelineForImage2Image, "tiny-sdxl", dict(prompt="a portrait of a dog", image="img128", strength=0.6, num_inference_steps=4, seed=12), {}),
    "sdxl_inpaint": (AutoPipelineForInpainting, "tiny-sdxl", dict(prompt="a cat on a bench", image="img128", mask_image="mask128", num_inference_steps=4, seed=13), {}),
    "sdxl_inpaint64": (AutoPipelineForInpainting, "tiny-sdxl", dict(prompt="a cat on a bench", image="img64", mask_image="mask64", strength=0.7, num_inference_steps=4, seed=13), {}),
    "refiner_i2i": (AutoPipelineForImage2Image, "tiny-sdxl-refiner", dict(prompt="a portrait of a dog", image="img128", strength=0.5, num_inference_steps=4, seed=14), {}),
    "sdxl_t2i_neg": (AutoPipelineForText2Image, "tiny-sdxl", dict(prompt="a castle in the clouds", prompt_2="oil painting", negative_prompt="low quality", num_inference_steps=3, num_images_per_prompt=2, seed=16), {}),
}


def run_case(name, paths):
    auto, fixture, call, load = CASES[name]
    call = dict(call)
    pipe = auto.from_pretrained(f"{TD}/{fixture}", **load)
    pipe.set_progress_bar_config(disable=True)
    te = getattr(pipe, "text_encoder", None)
    if te is not None and not hasattr(te, "text_model"):
        # transformers 5 flattened CLIPTextModel (no .text_model); diffusers
        # 0.42's clip_skip path still reaches text_encoder.text_model.final_layer_norm.
        te.text_model = types.SimpleNamespace(final_layer_norm=te.final_layer_norm)
    seed = call.pop("seed")
    for k in ("image", "mask_image"):
        if k in call:
            call[k] = Image.open(paths[call[k]]).convert("RGB" if k == "image" else "L")
    g = torch.Generator("cpu").manual_seed(seed)
    pil = "padding_mask_crop" in call  # diffusers only overlays PIL output
    out = pipe(**call, generator=g, output_type="pil" if pil else "np")
    if pil:
        out.images = np.stack([np.asarray(im, dtype=np.float32) / 255.0 for im in out.images])
    images = torch.from_numpy(np.ascontiguousarray(out.images)).float()
    save_file({"images": images}, f"{OUT}/pipe_{name}.safetensors")
    meta = {
        "what": f"{pipe.__class__.__name__} on testdata/{fixture}, output_type='np' (float, before 8-bit rounding)",
        "class": pipe.__class__.__name__,
        "fixture": fixture, "seed": seed, "load": {k: None for k in load},
        "call": {k: (v if not isinstance(v, Image.Image) else CASES[name][2][k]) for k, v in call.items()},
        "shape": list(images.shape),
        "pil": pil,
        "nsfw": getattr(out, "nsfw_content_detected", None),
        "crop": (list(pipe.mask_processor.get_crop_region(Image.open(paths[CASES[name][2]["mask_image"]]).convert("L"), 64, 64, pad=call["padding_mask_crop"]))
                 if "padding_mask_crop" in call else None),
        "versions": {"torch": torch.__version__, "diffusers": diffusers.__version__, "transformers": transformers.__version__},
    }
    with open(f"{OUT}/pipe_{name}.json", "w") as f:
        json.dump(meta, f, indent=1)
    print(name, meta["class"], list(images.shape), meta["nsfw"])


def run_ensemble(paths):
    """Base to denoising_end=0.8 (latents), refiner from denoising_start=0.8."""
    base = AutoPipelineForText2Image.from_pretrained(f"{TD}/tiny-sdxl")
    refiner = AutoPipelineForImage2Image.from_pretrained(f"{TD}/tiny-sdxl-refiner")
    for p in (base, refiner):
        p.set_progress_bar_config(disable=True)
    prompt = "a majestic lion jumping from a big stone"
    g = torch.Generator("cpu").manual_seed(21)
    lat = base(prompt=prompt, num_inference_steps=5, denoising_end=0.8, output_type="latent", generator=g).images
    out = refiner(prompt=prompt, num_inference_steps=5, denoising_start=0.8, image=lat, generator=g, output_type="np")
    images = torch.from_numpy(np.ascontiguousarray(out.images)).float()
    save_file({"images": images, "base_latents": lat.contiguous()}, f"{OUT}/pipe_ensemble.safetensors")
    meta = {"what": "tiny-sdxl base (denoising_end 0.8, output_type latent) then tiny-sdxl-refiner img2img (denoising_start 0.8) with one generator",
            "class": "ensemble", "seed": 21, "prompt": prompt, "steps": 5, "shape": list(images.shape),
            "versions": {"torch": torch.__version__, "diffusers": diffusers.__version__, "transformers": transformers.__version__}}
    with open(f"{OUT}/pipe_ensemble.json", "w") as f:
        json.dump(meta, f, indent=1)
    print("ensemble", list(images.shape))


def main():
    torch.set_num_threads(2)
    paths = inputs()
    names = sys.argv[1:] or list(CASES) + ["ensemble"]
    for name in names:
        if name == "ensemble":
            run_ensemble(paths)
            continue
        fixture = CASES[name][1]
        if not os.path.exists(f"{TD}/{fixture}/model_index.json"):
            print("skip", name, "(no fixture)")
            continue
        run_case(name, paths)


if __name__ == "__main__":
    main()
