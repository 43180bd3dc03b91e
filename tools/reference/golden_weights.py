"""Golden files for package models/weights (safetensors reading and dtype conversion).

Run from the repository root with no arguments:

    tools/reference/.venv/bin/python tools/reference/golden_weights.py

Writes into testdata/golden/:
  weights_dtypes.safetensors           tensors stored as F16 (all 65536 bit patterns), BF16, F64, I64, U8, BOOL
  weights_dtypes_expected.safetensors  the same tensors converted by torch with .to(torch.float32)
  weights_variant/                     a tiny AutoencoderKL saved by diffusers' save_pretrained twice:
                                       fp32 single file, and variant="fp16" sharded (max_shard_size 8KB)
  weights.json                         manifest
"""

import json
import os
import shutil

import torch

import diffusers
import safetensors.torch
import transformers
from diffusers import AutoencoderKL

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "testdata", "golden")
SEED = 0


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)

    stored = {
        "f16_all": torch.arange(-32768, 32768, dtype=torch.int32).to(torch.int16).view(torch.float16),
        "bf16": (torch.randn(4, 256) * 100).to(torch.bfloat16),
        "f64": torch.randn(3, 5, dtype=torch.float64),
        "i64": torch.tensor([0, 1, -1, 76, 2**24, -(2**24)], dtype=torch.int64),
        "u8": torch.tensor([0, 1, 127, 128, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
    }
    safetensors.torch.save_file(stored, os.path.join(OUT, "weights_dtypes.safetensors"), metadata={"format": "pt"})
    expected = {k: v.to(torch.float32).contiguous() for k, v in stored.items()}
    safetensors.torch.save_file(expected, os.path.join(OUT, "weights_dtypes_expected.safetensors"))

    vdir = os.path.join(OUT, "weights_variant")
    shutil.rmtree(vdir, ignore_errors=True)
    model = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",),
        up_block_types=("UpDecoderBlock2D",),
        block_out_channels=(8,),
        layers_per_block=1,
        latent_channels=2,
        norm_num_groups=4,
        sample_size=16,
    )
    # Round the weights to fp16 first so the fp32 file equals the upcast fp16 variant exactly.
    model = model.to(torch.float16).to(torch.float32)
    model.save_pretrained(vdir, safe_serialization=True)
    model.to(torch.float16).save_pretrained(vdir, safe_serialization=True, variant="fp16", max_shard_size="8KB")
    files = sorted(os.listdir(vdir))

    manifest = {
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "transformers": transformers.__version__,
        "seed": SEED,
        "what": "weights_dtypes: F16/BF16/F64/I64/U8/BOOL tensors and their torch .to(float32); "
        "weights_variant: tiny AutoencoderKL save_pretrained fp32 single file + variant=fp16 sharded",
        "variant_files": files,
    }
    with open(os.path.join(OUT, "weights.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print("wrote", files)


if __name__ == "__main__":
    main()
