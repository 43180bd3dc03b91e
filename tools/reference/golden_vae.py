"""Golden tensors for models/vae (AutoencoderKL encode, sample, decode, tiled encode/decode).

Run from the repository root with no arguments:

    tools/reference/.venv/bin/python tools/reference/golden_vae.py

For each fixture VAE (testdata/tiny-sd/vae, testdata/tiny-sdxl/vae) it writes
testdata/golden/vae_<name>.safetensors and a .json manifest. All math is fp32 on CPU.

With AUTOPIPE_FULL=1 it also writes $AUTOPIPE_FULL_DIR/vae_fullsize.* (default
/tmp/autopipe-full) from the full-size SD 1.5 VAE config with random weights
(testdata/fullsize/vae if present, else built in $AUTOPIPE_FULL_DIR/vae), at a small
input size; the Go test reads them with AUTOPIPE_FULL=1.
"""

import hashlib
import json
import os
import sys

import torch

import diffusers
import safetensors.torch
import transformers
from diffusers import AutoencoderKL

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "testdata", "golden")

FIXTURES = [
    ("tiny_sd", os.path.join(ROOT, "testdata", "tiny-sd", "vae")),
    ("tiny_sdxl", os.path.join(ROOT, "testdata", "tiny-sdxl", "vae")),
]

SAMPLE_SEED = 1234

# Small synthetic VAEs (random weights, every parameter perturbed) covering
# config paths the pipeline fixtures do not: three blocks, two layers per
# block, no quant_conv, no mid-block attention, no post_quant_conv, 16 latent
# channels. Saved next to their goldens as testdata/golden/vae_<name>/.
SYNTHETIC = {
    "deep": dict(
        block_out_channels=[8, 16, 16],
        down_block_types=["DownEncoderBlock2D"] * 3,
        up_block_types=["UpDecoderBlock2D"] * 3,
        layers_per_block=2,
        norm_num_groups=4,
        latent_channels=4,
        sample_size=32,
        use_quant_conv=False,
        scaling_factor=0.3611,
        shift_factor=0.1159,
        latents_mean=[0.1, -0.2, 0.3, -0.4],
        latents_std=[1.1, 0.9, 1.2, 0.8],
        force_upcast=False,
    ),
    "noattn": dict(
        block_out_channels=[8, 16],
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
        layers_per_block=1,
        norm_num_groups=4,
        latent_channels=16,
        sample_size=16,
        mid_block_add_attention=False,
        use_post_quant_conv=False,
    ),
}


# Full-size check (opt-in, AUTOPIPE_FULL=1): the SD 1.5 VAE config with random
# weights. Uses testdata/fullsize/vae when present, otherwise builds it under
# FULL_OUT (outside the repository: ~335 MB). Goldens go to FULL_OUT too.
FULL_OUT = os.environ.get("AUTOPIPE_FULL_DIR", "/tmp/autopipe-full")
SD15_VAE = dict(
    block_out_channels=[128, 256, 512, 512],
    down_block_types=["DownEncoderBlock2D"] * 4,
    up_block_types=["UpDecoderBlock2D"] * 4,
    layers_per_block=2,
    norm_num_groups=32,
    latent_channels=4,
    sample_size=512,
    scaling_factor=0.18215,
)


def full_size_vae():
    path = os.path.join(ROOT, "testdata", "fullsize", "vae")
    if os.path.isdir(path):
        return path
    path = os.path.join(FULL_OUT, "vae")
    if not os.path.exists(os.path.join(path, "diffusion_pytorch_model.safetensors")):
        torch.manual_seed(200)
        AutoencoderKL(**SD15_VAE).save_pretrained(path, safe_serialization=True)
    return path


def make_synthetic(name, cfg):
    path = os.path.join(OUT, f"vae_{name}")
    torch.manual_seed(100)
    vae = AutoencoderKL(**cfg)
    with torch.no_grad():
        for pname, p in vae.named_parameters():
            if "norm" in pname and pname.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif pname.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.mul_(1.5)
    vae.save_pretrained(path, safe_serialization=True)
    return path


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build(name, path, image_hw, latent_hw, tiled, out=OUT):
    torch.manual_seed(0)
    vae = AutoencoderKL.from_pretrained(path, torch_dtype=torch.float32)
    vae.eval()
    vae.set_default_attn_processor()  # plain attention math (AttnProcessor), fp32
    cfg = vae.config
    nblocks = len(cfg.block_out_channels)
    down = 2 ** (nblocks - 1)
    lc = cfg.latent_channels

    gen = torch.Generator("cpu").manual_seed(0)
    h, w = image_hw
    x = torch.rand((1, cfg.in_channels, h, w), generator=gen) * 2 - 1
    lh, lw = latent_hw
    z = torch.randn((1, lc, lh, lw), generator=gen)

    t = {"x": x, "z": z}
    with torch.no_grad():
        post = vae.encode(x).latent_dist
        t["mean"] = post.mean
        t["logvar"] = post.logvar
        t["sample"] = post.sample(generator=torch.Generator("cpu").manual_seed(SAMPLE_SEED))
        t["decoded"] = vae.decode(z).sample

        meta_tiles = None
        if tiled:
            # Tile sizes reduced consistently on both sides so that tiling happens at tiny sizes.
            tile_latent = 8
            tile_sample = tile_latent * down
            vae.enable_tiling()
            vae.tile_latent_min_size = tile_latent
            vae.tile_sample_min_size = tile_sample
            vae.tile_overlap_factor = 0.25
            xt = torch.rand((1, cfg.in_channels, tile_sample * 2 - down * 2, tile_sample + tile_sample // 2 + down), generator=gen) * 2 - 1
            zt = torch.randn((1, lc, 14, 11), generator=gen)
            tpost = vae.encode(xt).latent_dist
            t["tiled_x"] = xt
            t["tiled_mean"] = tpost.mean
            t["tiled_logvar"] = tpost.logvar
            t["tiled_z"] = zt
            t["tiled_decoded"] = vae.decode(zt).sample
            vae.disable_tiling()
            meta_tiles = {"tile_sample_min_size": tile_sample, "tile_latent_min_size": tile_latent, "tile_overlap_factor": 0.25}

    t = {k: v.detach().to(torch.float32).contiguous() for k, v in t.items()}
    os.makedirs(out, exist_ok=True)
    safetensors.torch.save_file(t, os.path.join(out, f"vae_{name}.safetensors"))
    manifest = {
        "description": "AutoencoderKL fp32 CPU: encode(x) -> mean/logvar, latent_dist.sample(torch.Generator seed) -> sample, "
        "decode(z) -> decoded; tiled_* with enable_tiling() and reduced tile sizes",
        "fixture": os.path.relpath(path, ROOT),
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "transformers": transformers.__version__,
        "input_seed": 0,
        "sample_seed": SAMPLE_SEED,
        "weights_sha256": sha256(os.path.join(path, "diffusion_pytorch_model.safetensors")),
        "tiling": meta_tiles,
        "shapes": {k: list(v.shape) for k, v in t.items()},
    }
    with open(os.path.join(out, f"vae_{name}.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"vae_{name}: " + ", ".join(f"{k}{list(v.shape)}" for k, v in t.items()))


def bench():
    """Time one diffusers decode of a 64x64 latent to 512x512 (full-size SD 1.5 VAE, random weights)."""
    import time

    vae = AutoencoderKL.from_pretrained(full_size_vae(), torch_dtype=torch.float32).eval()
    z = torch.randn((1, 4, 64, 64), generator=torch.Generator("cpu").manual_seed(0))
    with torch.no_grad():
        for i in range(2):
            t0, c0 = time.perf_counter(), time.process_time()
            vae.decode(z)
            print(
                f"diffusers decode 64x64 -> 512x512, {torch.get_num_threads()} threads, run {i}: "
                f"{time.perf_counter() - t0:.2f} s wall, {time.process_time() - c0:.2f} s CPU"
            )


def main():
    torch.set_num_threads(2)
    if sys.argv[1:] == ["bench"]:
        bench()
        return
    for name, path in FIXTURES:
        if not os.path.isdir(path):
            print(f"missing fixture {path}", file=sys.stderr)
            sys.exit(1)
        build(name, path, image_hw=(32, 24), latent_hw=(6, 5), tiled=True)
    for name, cfg in SYNTHETIC.items():
        path = make_synthetic(name, cfg)
        build(name, path, image_hw=(32, 24), latent_hw=(5, 6), tiled=True)
    if os.environ.get("AUTOPIPE_FULL") == "1":
        path = full_size_vae()
        build("fullsize", path, image_hw=(64, 48), latent_hw=(8, 6), tiled=False, out=FULL_OUT)

if __name__ == "__main__":
    main()
