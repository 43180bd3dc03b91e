"""Tiny random-weight fixtures for the few-step models, built with diffusers' own classes.

- testdata/tiny-lcm: LatentConsistencyModelPipeline (tiny-sd's layout with time_cond_proj_dim=32 in the UNet,
  LCMScheduler with LCM_Dreamshaper_v7's config, no safety checker).
- testdata/tiny-taesd: an AutoencoderTiny component folder with tiny-sd's latent scale (2 stages).
- testdata/tiny-sd-turbo: tiny-sd2's components with sd-turbo's scheduler (EulerDiscreteScheduler, trailing).
- testdata/tiny-sdxs: a StableDiffusionPipeline whose VAE is an AutoencoderTiny (as IDKiro/sdxs-512-0.9 ships).
- testdata/tiny-sdxl-turbo: tiny-sdxl's components with sdxl-turbo's scheduler (EulerAncestralDiscreteScheduler, trailing).

Weight files shared with an existing fixture are relative symlinks to it (identical bytes checked first).
Imported by fixtures.py after tiny_pipelines (it links to tiny-sd and tiny-sd2); also runnable alone from the
repository root: tools/reference/.venv/bin/python tools/reference/tiny_fast.py
"""
import json
import os
import shutil

import torch
from diffusers import (AutoencoderTiny, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler,
                       LatentConsistencyModelPipeline, LCMScheduler, StableDiffusionPipeline, StableDiffusionXLPipeline)
from transformers import CLIPTextModel

import clip_vocab
import tiny_pipelines as tp

LCM_SCHEDULER = dict(beta_end=0.012, beta_schedule="scaled_linear", beta_start=0.00085, clip_sample=False,
                     clip_sample_range=1.0, dynamic_thresholding_ratio=0.995, num_train_timesteps=1000,
                     original_inference_steps=50, prediction_type="epsilon", rescale_betas_zero_snr=False,
                     sample_max_value=1.0, set_alpha_to_one=True, steps_offset=1, thresholding=False,
                     timestep_scaling=10.0, timestep_spacing="leading", trained_betas=None)
TURBO_SCHEDULER = dict(beta_end=0.012, beta_schedule="scaled_linear", beta_start=0.00085, clip_sample=False,
                       interpolation_type="linear", num_train_timesteps=1000, prediction_type="epsilon",
                       sample_max_value=1.0, set_alpha_to_one=False, skip_prk_steps=True, steps_offset=1,
                       timestep_spacing="trailing", trained_betas=None, use_karras_sigmas=False)


def taesd(seed):
    return tp.seeded(seed, AutoencoderTiny, encoder_block_out_channels=(16, 16), decoder_block_out_channels=(16, 16),
                     num_encoder_blocks=(1, 2), num_decoder_blocks=(2, 1), latent_channels=4)


def link(out, sub, root, fixture, src_sub=None):
    """Points out/sub's weight file to fixture/src_sub's (identical bytes checked first)."""
    for name in os.listdir(os.path.join(out, sub)):
        if not name.endswith(".safetensors"):
            continue
        src = os.path.join(root, fixture, sub if src_sub is None else src_sub, name)
        dst = os.path.join(out, sub, name)
        with open(src, "rb") as a, open(dst, "rb") as b:
            assert a.read() == b.read(), "%s/%s differs from %s's" % (out, sub, fixture)
        os.remove(dst)
        os.symlink(os.path.relpath(src, os.path.dirname(dst)), dst)


def build_taesd(root, tmp):
    out = os.path.join(root, "tiny-taesd")
    taesd(61).save_pretrained(out, safe_serialization=True)
    return out


def build_lcm(root, tmp):
    out = os.path.join(root, "tiny-lcm")
    pipe = LatentConsistencyModelPipeline(
        vae=tp.vae(0),
        text_encoder=tp.seeded(2, CLIPTextModel, tp.text_config("quick_gelu")),  # tiny-sd's
        tokenizer=tp.tiny_tokenizer(os.path.join(tmp, "lcm-tok"), clip_vocab.EOS, "sd15"),
        unet=tp.unet(51, time_cond_proj_dim=32),
        scheduler=LCMScheduler.from_config(LCM_SCHEDULER),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(out, safe_serialization=True)
    tp.finish(out, {"tokenizer": (clip_vocab.EOS, "sd15")})
    tp.link_vae(out, root)
    link(out, "text_encoder", root, "tiny-sd")
    return out


def build_sd_turbo(root, tmp):
    out = os.path.join(root, "tiny-sd-turbo")
    src = StableDiffusionPipeline.from_pretrained(os.path.join(root, "tiny-sd2"))
    pipe = StableDiffusionPipeline(
        vae=src.vae, text_encoder=src.text_encoder, tokenizer=src.tokenizer, unet=src.unet,
        scheduler=EulerDiscreteScheduler.from_config(TURBO_SCHEDULER),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(out, safe_serialization=True)
    tp.finish(out, {"tokenizer": ("!", "sdxl")})
    for sub in ("unet", "text_encoder"):
        link(out, sub, root, "tiny-sd2")
    tp.link_vae(out, root)
    return out


def build_sdxs(root, tmp):
    out = os.path.join(root, "tiny-sdxs")
    src = StableDiffusionPipeline.from_pretrained(os.path.join(root, "tiny-sd"), safety_checker=None)
    pipe = StableDiffusionPipeline(
        vae=AutoencoderTiny.from_pretrained(os.path.join(root, "tiny-taesd")), text_encoder=src.text_encoder,
        tokenizer=src.tokenizer, unet=src.unet, scheduler=EulerDiscreteScheduler.from_config(TURBO_SCHEDULER),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(out, safe_serialization=True)
    tp.finish(out, {"tokenizer": (clip_vocab.EOS, "sd15")})
    for sub in ("unet", "text_encoder"):
        link(out, sub, root, "tiny-sd")
    link(out, "vae", root, "tiny-taesd", "")
    return out


def build_sdxl_turbo(root, tmp):
    out = os.path.join(root, "tiny-sdxl-turbo")
    pipe = StableDiffusionXLPipeline.from_pretrained(os.path.join(root, "tiny-sdxl"))
    pipe.scheduler = EulerAncestralDiscreteScheduler.from_config(TURBO_SCHEDULER)
    pipe.save_pretrained(out, safe_serialization=True)
    tp.finish(out, {"tokenizer": (clip_vocab.EOS, "sdxl"), "tokenizer_2": ("!", "sdxl")})
    for sub in ("unet", "text_encoder", "text_encoder_2"):
        link(out, sub, root, "tiny-sdxl")
    tp.link_vae(out, root)
    return out


BUILDERS = [("tiny-taesd", build_taesd), ("tiny-lcm", build_lcm), ("tiny-sd-turbo", build_sd_turbo),
            ("tiny-sdxs", build_sdxs), ("tiny-sdxl-turbo", build_sdxl_turbo)]


def write_all(root):
    tmp = os.path.join(root, ".tiny-fast-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for name, build in BUILDERS:
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
            build(root, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isfile("go.mod"):
        sys.exit("run from the repository root")
    torch.set_num_threads(2)
    write_all("testdata")
