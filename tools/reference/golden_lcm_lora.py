"""LCM-LoRA goldens: a tiny LCM-LoRA in the layout of latent-consistency/lcm-lora-sdv1-5 and -sdxl,
and the images diffusers makes with it on the tiny fixtures, as the model card does:

    pipe.scheduler = LCMScheduler.from_config(pipe.scheduler.config)
    pipe.load_lora_weights(lora)
    pipe(prompt, num_inference_steps=4, guidance_scale=1.0)

The released files come from diffusers' LCM distillation scripts
(examples/consistency_distillation/train_lcm_distill_lora_*.py): a PEFT LoRA on the UNet only
(attention and feed-forward linears, proj_in/proj_out, the resnets' conv1/conv2/conv_shortcut and
time_emb_proj, the down/up samplers' convolutions) saved in kohya form with diffusers module names
(lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight, .lora_up.weight, .alpha = lora_alpha),
in float16. The fixture follows that layout with random rank-4 weights.

Writes testdata/lora/{sd,sdxl}_lcm.safetensors and testdata/golden/lora_pipe_{sd_lcm,sd_lcm_cfg,sdxl_lcm}.safetensors
(images [N,H,W,3] in [0,1], the call in the metadata).

Run from the repository root: tools/reference/.venv/bin/python tools/reference/golden_lcm_lora.py
"""
import json
import os
import sys

import torch
from diffusers import AutoPipelineForText2Image, LCMScheduler
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_lora as gl  # noqa: E402  (also lets transformers use the installed peft)

LCM_TARGETS = ["to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2",
               "conv1", "conv2", "conv_shortcut", "downsamplers.0.conv", "upsamplers.0.conv", "time_emb_proj"]
ALPHA = 8.0


def lcm_lora(unet, seed):
    """The UNet modules the LCM scripts adapt, as get_module_kohya_state_dict writes them."""
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for name, mod in gl.targets(unet, LCM_TARGETS):
        base = "lora_unet_" + name.replace(".", "_")
        down, up = gl.pair(mod, g)
        sd[base + ".lora_down.weight"] = (down * 0.5).half()
        sd[base + ".lora_up.weight"] = (up * 0.5).half()
        sd[base + ".alpha"] = torch.tensor(ALPHA).half()
    return sd


@torch.no_grad()
def image(name, fixture, lora, call):
    pipe = AutoPipelineForText2Image.from_pretrained(os.path.join(gl.TD, fixture), safety_checker=None)
    pipe.scheduler = LCMScheduler.from_config(pipe.scheduler.config)

    def run():
        g = torch.Generator("cpu").manual_seed(call["seed"])
        return pipe(**{k: v for k, v in call.items() if k != "seed"}, generator=g, output_type="np").images

    plain = run()
    pipe.load_lora_weights(lora)
    img = run()
    change = float(abs(img - plain).max())
    assert change > 0.05, (name, "the LoRA changes little", change)
    meta = {"fixture": fixture, "lora": os.path.basename(lora), "call": json.dumps(call)}
    save_file({"images": torch.from_numpy(img).contiguous()}, os.path.join(gl.GOLD, f"lora_{name}.safetensors"),
              metadata=meta)
    print(name, img.shape, "std", float(img.std()), "change from the LoRA", change)


def main():
    os.makedirs(gl.LORA, exist_ok=True)
    paths = {}
    for fixture, key, seed in (("tiny-sd", "sd", 11), ("tiny-sdxl", "sdxl", 12)):
        pipe = AutoPipelineForText2Image.from_pretrained(os.path.join(gl.TD, fixture))
        paths[key] = os.path.join(gl.LORA, f"{key}_lcm.safetensors")
        save_file(lcm_lora(pipe.unet, seed), paths[key])
    call = dict(prompt="a photo of a cat", num_inference_steps=4, guidance_scale=1.0, height=64, width=64, seed=5)
    image("pipe_sd_lcm", "tiny-sd", paths["sd"], call)
    image("pipe_sd_lcm_cfg", "tiny-sd", paths["sd"], dict(call, guidance_scale=1.5, negative_prompt="blurry"))
    image("pipe_sdxl_lcm", "tiny-sdxl", paths["sdxl"], dict(call, prompt="a castle in the clouds"))


if __name__ == "__main__":
    main()
