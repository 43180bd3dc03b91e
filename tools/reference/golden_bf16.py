"""bfloat16 goldens: the tiny fixture UNets run by diffusers with torch_dtype=torch.bfloat16.

Run from the repository root with no arguments (after golden_unet.py):

    tools/reference/.venv/bin/python tools/reference/golden_bf16.py

For each fixture it reads the inputs and fp32 output of testdata/golden/unet_<fixture>.safetensors,
runs UNet2DConditionModel.from_pretrained(..., torch_dtype=torch.bfloat16) on the same inputs
(cast to bfloat16) and writes testdata/golden/unet_bf16_<fixture>.{safetensors,json} holding
"out_bf16" (the bfloat16 output widened to fp32). The JSON records PyTorch's own bfloat16
deviation from its fp32 output (max abs, mean abs), the yardstick the Go bfloat16 mode is held to.
"""

import json
import os

import torch

import diffusers
import safetensors.torch
import transformers
from diffusers import UNet2DConditionModel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "testdata", "golden")
FIXTURES = [("tiny-sd", "unet_tiny_sd"), ("tiny-sd2", "unet_tiny_sd2"), ("tiny-sdxl", "unet_tiny_sdxl")]

torch.set_num_threads(2)


def case(fixture, golden):
    g = safetensors.torch.load_file(os.path.join(OUT, golden + ".safetensors"))
    unet = UNet2DConditionModel.from_pretrained(os.path.join(ROOT, "testdata", fixture, "unet"),
                                                torch_dtype=torch.bfloat16).eval()
    bf = torch.bfloat16
    added = None
    if "text_embeds" in g:
        added = {"text_embeds": g["text_embeds"].to(bf), "time_ids": g["time_ids"].to(bf)}
    with torch.no_grad():
        out = unet(g["sample"].to(bf), g["timestep"], encoder_hidden_states=g["encoder_hidden_states"].to(bf),
                   added_cond_kwargs=added).sample.float()
    dev = (out - g["out"]).abs()
    name = "unet_bf16_" + golden[len("unet_"):]
    safetensors.torch.save_file({"out_bf16": out.contiguous()}, os.path.join(OUT, name + ".safetensors"))
    man = {"description": "UNet2DConditionModel.from_pretrained(testdata/%s/unet, torch_dtype=torch.bfloat16) "
                          "on the inputs of %s; out_bf16 widened to fp32" % (fixture, golden),
           "inputs": golden,
           "torch_bf16_vs_fp32": {"max_abs": dev.max().item(), "mean_abs": dev.mean().item()},
           "versions": {"torch": torch.__version__, "diffusers": diffusers.__version__,
                        "transformers": transformers.__version__}}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(man, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", name, man["torch_bf16_vs_fp32"])


if __name__ == "__main__":
    for fixture, golden in FIXTURES:
        case(fixture, golden)
