"""Goldens for the few-step models: AutoencoderTiny, the LCM UNet's timestep_cond, and the LCM / turbo /
tiny-VAE pipelines, with diffusers' own classes on the fixtures of tiny_fast.py.

Run from the repository root: tools/reference/.venv/bin/python tools/reference/golden_fast.py [PART...]
PART is one of vae, unet, pipes or a pipeline case name (all by default). Writes, fp32 on CPU:
  testdata/golden/vae_taesd.{safetensors,json}: testdata/tiny-taesd encode, decode, forward, scale_latents
      on random inputs (batch 2).
  testdata/golden/unet_tiny_lcm.{safetensors,json}: testdata/tiny-lcm/unet on random latents with timestep_cond
      (the guidance embedding of LatentConsistencyModelPipeline.get_guidance_scale_embedding), and without it.
  testdata/golden/pipe_<case>.{safetensors,json}: as golden_pipelines.py (images before 8-bit rounding).
"""
import json
import os
import sys

import diffusers
import numpy as np
import torch
import transformers
from diffusers import (AutoencoderTiny, AutoPipelineForImage2Image, AutoPipelineForText2Image,
                       LatentConsistencyModelPipeline, UNet2DConditionModel)
from PIL import Image
from safetensors.torch import save_file

OUT = "testdata/golden"
TD = "testdata"
torch.set_num_threads(2)


def versions():
    return {"torch": torch.__version__, "diffusers": diffusers.__version__, "transformers": transformers.__version__}


def save(name, tensors, meta):
    tensors = {k: v.detach().float().contiguous() for k, v in tensors.items()}
    save_file(tensors, f"{OUT}/{name}.safetensors")
    meta = dict(meta, versions=versions())
    with open(f"{OUT}/{name}.json", "w") as f:
        json.dump(meta, f, indent=1)


def gold_vae():
    v = AutoencoderTiny.from_pretrained(f"{TD}/tiny-taesd").eval()
    g = torch.Generator().manual_seed(5)
    img = torch.rand((2, 3, 24, 32), generator=g) * 2 - 1
    lat = torch.randn((2, 4, 12, 16), generator=g) * 2.5
    with torch.no_grad():
        t = {
            "image": img, "latents_in": lat,
            "encoded": v.encode(img).latents,
            "decoded": v.decode(lat).sample,
            "forward": v(img).sample,
            "scaled": v.scale_latents(lat),
            "unscaled": v.unscale_latents(v.scale_latents(lat)),
        }
    save("vae_taesd", t, {"what": "AutoencoderTiny testdata/tiny-taesd: encode(image).latents, decode(latents_in).sample, "
                                  "forward(image).sample, scale_latents(latents_in), unscale_latents(scaled)"})
    print("vae_taesd")


def gold_unet():
    u = UNet2DConditionModel.from_pretrained(f"{TD}/tiny-lcm/unet").eval()
    g = torch.Generator().manual_seed(9)
    x = torch.randn((2, 4, 16, 16), generator=g)
    ehs = torch.randn((2, 7, 32), generator=g)
    w = torch.tensor([7.5, 2.0])
    cond = LatentConsistencyModelPipeline.get_guidance_scale_embedding(None, w, embedding_dim=32)
    ts = torch.tensor([999, 259])
    with torch.no_grad():
        out = u(x, ts, encoder_hidden_states=ehs, timestep_cond=cond).sample
        plain = u(x, ts, encoder_hidden_states=ehs).sample
    save("unet_tiny_lcm", {"sample": x, "encoder_hidden_states": ehs, "timestep_cond": cond, "w": w,
                           "out": out, "out_nocond": plain},
         {"what": "testdata/tiny-lcm/unet forward at timesteps (999, 259) with timestep_cond = "
                  "get_guidance_scale_embedding(w, 32), and without timestep_cond", "timesteps": [999, 259]})
    print("unet_tiny_lcm")


def image_input():
    return Image.open(f"{OUT}/pipe_input_img64.png").convert("RGB")


PROMPT = "a photo of an astronaut riding a horse"
# name -> (auto class, fixture, call kwargs, load kwargs: "vae" names a tiny-taesd AutoencoderTiny)
CASES = {
    "lcm_t2i4": (AutoPipelineForText2Image, "tiny-lcm", dict(prompt=PROMPT, num_inference_steps=4, seed=0), {}),
    "lcm_t2i1": (AutoPipelineForText2Image, "tiny-lcm", dict(prompt=PROMPT, num_inference_steps=1, guidance_scale=3.0, seed=1), {}),
    "lcm_t2i2x2": (AutoPipelineForText2Image, "tiny-lcm", dict(prompt=PROMPT, num_inference_steps=2, num_images_per_prompt=2, original_inference_steps=20, seed=2), {}),
    "lcm_i2i4": (AutoPipelineForImage2Image, "tiny-lcm", dict(prompt="a portrait of a dog", image="img64", strength=0.5, num_inference_steps=4, seed=3), {}),
    "lcm_i2i1": (AutoPipelineForImage2Image, "tiny-lcm", dict(prompt="a portrait of a dog", image="img64", strength=0.8, num_inference_steps=1, guidance_scale=1.0, seed=4), {}),
    "sd_taesd_t2i": (AutoPipelineForText2Image, "tiny-sd", dict(prompt=PROMPT, num_inference_steps=3, seed=5), dict(safety_checker=None, vae="tiny-taesd")),
    "sd_taesd_i2i": (AutoPipelineForImage2Image, "tiny-sd", dict(prompt="a portrait of a dog", image="img64", strength=0.6, num_inference_steps=4, seed=6), dict(safety_checker=None, vae="tiny-taesd")),
    "lcm_taesd_t2i": (AutoPipelineForText2Image, "tiny-lcm", dict(prompt=PROMPT, num_inference_steps=4, seed=7), dict(vae="tiny-taesd")),
    "turbo_t2i1": (AutoPipelineForText2Image, "tiny-sd-turbo", dict(prompt=PROMPT, num_inference_steps=1, guidance_scale=0.0, seed=8), {}),
    "turbo_t2i4": (AutoPipelineForText2Image, "tiny-sd-turbo", dict(prompt=PROMPT, num_inference_steps=4, guidance_scale=0.0, seed=9), {}),
    "turbo_i2i2": (AutoPipelineForImage2Image, "tiny-sd-turbo", dict(prompt="a portrait of a dog", image="img64", strength=0.5, num_inference_steps=2, guidance_scale=0.0, seed=10), {}),
    "sdxs_t2i1": (AutoPipelineForText2Image, "tiny-sdxs", dict(prompt=PROMPT, num_inference_steps=1, guidance_scale=0.0, seed=11), {}),
    "sdxlturbo_t2i1": (AutoPipelineForText2Image, "tiny-sdxl-turbo", dict(prompt=PROMPT, num_inference_steps=1, guidance_scale=0.0, seed=12), {}),
    "sdxlturbo_t2i2_taesd": (AutoPipelineForText2Image, "tiny-sdxl-turbo", dict(prompt=PROMPT, num_inference_steps=2, guidance_scale=0.0, seed=13), dict(vae="tiny-taesd")),
    "sdxlturbo_i2i2": (AutoPipelineForImage2Image, "tiny-sdxl-turbo", dict(prompt="a portrait of a dog", image="img64", strength=0.5, num_inference_steps=2, guidance_scale=0.0, seed=14), {}),
}


def run_case(name):
    auto, fixture, call, load = CASES[name]
    call, kw = dict(call), dict(load)
    if "vae" in kw:
        kw["vae"] = AutoencoderTiny.from_pretrained(f"{TD}/{kw['vae']}")
    pipe = auto.from_pretrained(f"{TD}/{fixture}", **kw)
    pipe.set_progress_bar_config(disable=True)
    seed = call.pop("seed")
    if "image" in call:
        call["image"] = image_input()
    g = torch.Generator("cpu").manual_seed(seed)
    out = pipe(**call, generator=g, output_type="np")
    images = torch.from_numpy(np.ascontiguousarray(out.images)).float()
    meta = {
        "what": f"{pipe.__class__.__name__} on testdata/{fixture}, output_type='np' (float, before 8-bit rounding)",
        "class": pipe.__class__.__name__, "fixture": fixture, "seed": seed, "load": load,
        "call": {k: (v if not isinstance(v, Image.Image) else CASES[name][2][k]) for k, v in call.items()},
        "shape": list(images.shape), "pil": False, "nsfw": getattr(out, "nsfw_content_detected", None),
        "vae_class": pipe.vae.__class__.__name__,
    }
    save("pipe_" + name, {"images": images}, meta)
    print(name, meta["class"], meta["vae_class"], list(images.shape))


def gold_pipes(names=None):
    assert os.path.exists(f"{OUT}/pipe_input_img64.png"), "run golden_pipelines.py first (input images)"
    for name in names or CASES:
        run_case(name)


def main():
    parts = sys.argv[1:] or ["vae", "unet", "pipes"]
    for p in parts:
        if p in CASES:
            run_case(p)
            continue
        {"vae": gold_vae, "unet": gold_unet, "pipes": gold_pipes}[p]()


if __name__ == "__main__":
    main()
