"""Reloads a tiny fixture the way users do and runs a 2-step generation, proving it loads."""

import json
import os

import numpy as np
import torch
from diffusers import (
    AutoPipelineForImage2Image,
    AutoPipelineForInpainting,
    AutoPipelineForText2Image,
    DiffusionPipeline,
)
from diffusers.utils import logging as dlog
from PIL import Image
from transformers.utils import logging as tlog

dlog.disable_progress_bar()
tlog.disable_progress_bar()

TASKS = {
    "tiny-sd": ["t2i", "i2i", "inpaint"],
    "tiny-sd-inpaint": ["inpaint"],
    "tiny-sd2": ["t2i", "i2i"],
    "tiny-sdxl": ["t2i", "i2i", "inpaint"],
    "tiny-sdxl-refiner": ["i2i"],
}


def _image(size, seed):
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


def _mask(size):
    m = np.zeros((size, size), dtype=np.uint8)
    m[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = 255
    return Image.fromarray(m)


def check(name, path):
    with open(os.path.join(path, "model_index.json")) as f:
        index = json.load(f)
    if name == "tiny-unsupported":
        try:
            DiffusionPipeline.from_pretrained(path)
        except Exception as e:  # no weights: loading must fail
            print(f"{name}: {index['_class_name']} (loading fails as expected: {type(e).__name__})")
            return
        raise AssertionError("tiny-unsupported loaded")
    pipe = DiffusionPipeline.from_pretrained(path)
    assert type(pipe).__name__ == index["_class_name"], (type(pipe).__name__, index["_class_name"])
    size = pipe.unet.config.sample_size * pipe.vae_scale_factor
    common = dict(prompt="a photo of a cat", num_inference_steps=2, output_type="np")
    summary = []
    for task in TASKS[name]:
        g = torch.Generator("cpu").manual_seed(0)
        if task == "t2i":
            p = AutoPipelineForText2Image.from_pretrained(path)
            out = p(generator=g, **common)
        elif task == "i2i":
            p = AutoPipelineForImage2Image.from_pretrained(path)
            kw = dict(common, num_inference_steps=4, strength=0.5)  # 2 denoising steps
            out = p(image=_image(size, 1), generator=g, **kw)
        else:
            p = AutoPipelineForInpainting.from_pretrained(path)
            out = p(image=_image(size, 1), mask_image=_mask(size), generator=g, strength=1.0, **common)
        img = out.images
        assert img.shape == (1, size, size, 3), img.shape
        assert np.isfinite(img).all()
        nsfw = getattr(out, "nsfw_content_detected", None)
        p.set_progress_bar_config(disable=True)
        summary.append(f"{task}->{type(p).__name__} mean {img.mean():.4f} nsfw {nsfw}")
    print(f"{name}: {index['_class_name']}, default {size}x{size}, vae_scale_factor {pipe.vae_scale_factor}")
    for s in summary:
        print("   ", s)
