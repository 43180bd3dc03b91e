"""Checks testdata/configs/*: each config instantiates with diffusers/transformers (on the meta
device, no weights allocated) and has the expected parameter count; tokenizer configs give the
expected pad token with the real vocabulary. Writes nothing. Run from the repository root."""

import json
import os
import shutil
import sys
import tempfile

import torch
from accelerate import init_empty_weights
from diffusers import AutoencoderKL, AutoencoderTiny, UNet2DConditionModel
from diffusers.utils import logging as dlog
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

import diffusers

ROOT = os.path.join("testdata", "configs")

# Published parameter counts of the real checkpoints.
PARAMS = {
    "runwayml--stable-diffusion-v1-5/unet": 859_520_964,
    "runwayml--stable-diffusion-inpainting/unet": 859_535_364,
    "stabilityai--stable-diffusion-2-1/unet": 865_910_724,
    "stabilityai--stable-diffusion-xl-base-1.0/unet": 2_567_463_684,
    "runwayml--stable-diffusion-v1-5/vae": 83_653_863,
    "stabilityai--stable-diffusion-xl-base-1.0/vae": 83_653_863,
    "runwayml--stable-diffusion-v1-5/text_encoder": 123_060_480,
    "stabilityai--stable-diffusion-2-1/text_encoder": 340_387_840,
    "stabilityai--stable-diffusion-xl-base-1.0/text_encoder_2": 694_659_840,
    # Few-step models: SD 1.5's UNet plus time_embedding.cond_proj (256 x 320); SD 2.1's and SDXL's
    # layouts for the turbo models; TAESD/TAESDXL as diffusers instantiates AutoencoderTiny (the
    # published taesd_encoder.pth / taesd_decoder.pth hold the same tensors).
    "SimianLuo--LCM_Dreamshaper_v7/unet": 859_520_964 + 256 * 320,
    "stabilityai--sd-turbo/unet": 865_910_724,
    "stabilityai--sd-turbo/text_encoder": 340_387_840,
    "stabilityai--sdxl-turbo/unet": 2_567_463_684,
    "stabilityai--sdxl-turbo/text_encoder_2": 694_659_840,
    "madebyollin--taesd/.": 2_445_063,
    "madebyollin--taesdxl/.": 2_445_063,
    "IDKiro--sdxs-512-0.9/vae": 2_445_063,
    "IDKiro--sdxs-512-0.9/vae_large": 83_653_863,
}

PAD = {
    "runwayml--stable-diffusion-v1-5/tokenizer": 49407,
    "runwayml--stable-diffusion-inpainting/tokenizer": 49407,
    "stabilityai--stable-diffusion-2-1/tokenizer": 0,
    "stabilityai--stable-diffusion-xl-base-1.0/tokenizer": 49407,
    "stabilityai--stable-diffusion-xl-base-1.0/tokenizer_2": 0,
    "stabilityai--stable-diffusion-xl-refiner-1.0/tokenizer_2": 0,
    "SimianLuo--LCM_Dreamshaper_v7/tokenizer": 49407,
    "stabilityai--sd-turbo/tokenizer": 0,
    "stabilityai--sdxl-turbo/tokenizer": 49407,
    "stabilityai--sdxl-turbo/tokenizer_2": 0,
    "IDKiro--sdxs-512-0.9/tokenizer": 0,
}


def load(path):
    with open(path) as f:
        return json.load(f)


def count(model):
    return sum(p.numel() for p in model.parameters())


def build(comp, cfg):
    cls = cfg.get("_class_name")
    with init_empty_weights():
        if cls == "UNet2DConditionModel":
            return UNet2DConditionModel.from_config(cfg)
        if cls == "AutoencoderKL":
            return AutoencoderKL.from_config(cfg)
        if cls == "AutoencoderTiny":
            return AutoencoderTiny.from_config(cfg)
        arch = cfg["architectures"][0]
        tc = CLIPTextConfig.from_dict(cfg)
        return {"CLIPTextModel": CLIPTextModel, "CLIPTextModelWithProjection": CLIPTextModelWithProjection}[arch](tc)


def check_model(repo, comp):
    path = os.path.join(ROOT, repo, comp, "config.json")
    if not os.path.isfile(path):
        print(f"  {comp:15s} (config not stored)")
        return
    cfg = load(path)
    m = build(comp, cfg)
    assert all(p.device.type == "meta" for p in m.parameters())
    n = count(m)
    key = f"{repo}/{comp}"
    want = PARAMS.get(key)
    status = "ok" if want is None or n == want else f"WANT {want}"
    assert want is None or n == want, f"{key}: {n} parameters, want {want}"
    print(f"  {comp:15s} {type(m).__name__:28s} {n:>14,d} params {status}")


def check_scheduler(repo):
    cfg = load(os.path.join(ROOT, repo, "scheduler", "scheduler_config.json"))
    cls = getattr(diffusers, cfg["_class_name"])
    s = cls.from_config(cfg)
    s.set_timesteps(4)
    print(f"  scheduler       {cls.__name__:28s} prediction {s.config.prediction_type}, timesteps {s.timesteps.tolist()}")


def check_tokenizer(repo, comp, vocab_dir):
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("vocab.json", "merges.txt"):
            shutil.copy(os.path.join(vocab_dir, name), tmp)
        for name in os.listdir(os.path.join(ROOT, repo, comp)):
            shutil.copy(os.path.join(ROOT, repo, comp, name), tmp)
        tok = CLIPTokenizer.from_pretrained(tmp)
    want = PAD[f"{repo}/{comp}"]
    assert tok.pad_token_id == want, (repo, comp, tok.pad_token, tok.pad_token_id)
    assert tok.model_max_length == 77
    print(f"  {comp:15s} CLIPTokenizer pad {tok.pad_token!r} ({tok.pad_token_id})")


def main():
    if not os.path.isdir(ROOT):
        sys.exit("run from the repository root")
    dlog.set_verbosity_error()
    torch.set_num_threads(2)
    vocab_dir = os.path.join("testdata", "clip-tokenizer", "sd15")
    for repo in sorted(os.listdir(ROOT)):
        if not os.path.isfile(os.path.join(ROOT, repo, "model_index.json")):
            print(f"{repo}: component")
            check_model(repo, ".")
            continue
        index = load(os.path.join(ROOT, repo, "model_index.json"))
        print(f"{repo}: {index['_class_name']}")
        for comp, (lib, cls) in sorted((k, v) for k, v in index.items() if not k.startswith("_") and isinstance(v, list)):
            if lib is None:
                continue
            d = os.path.join(ROOT, repo, comp)
            if comp in ("unet", "vae", "text_encoder", "text_encoder_2"):
                check_model(repo, comp)
                if comp == "vae" and os.path.isdir(os.path.join(ROOT, repo, "vae_large")):
                    check_model(repo, "vae_large")
                continue
            if False:
                check_model(repo, comp)
            elif comp == "scheduler":
                check_scheduler(repo)
            elif comp.startswith("tokenizer"):
                check_tokenizer(repo, comp, vocab_dir)
            elif not os.path.isdir(d):
                print(f"  {comp:15s} {cls} (config not stored)")


if __name__ == "__main__":
    main()
