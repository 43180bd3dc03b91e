"""LoRA goldens: tiny random LoRA files and what diffusers computes with them.

Writes testdata/lora/<name>.safetensors (tiny random LoRAs for the tiny fixtures, in the kohya/A1111
and diffusers/PEFT layouts) and testdata/golden/lora_<case>.safetensors: fixed inputs and the outputs
of the UNet and text encoder(s) after diffusers' load_lora_weights + set_adapters (and fuse_lora).

  sd_kohya      kohya, diffusers-named: attention and feed-forward linears, LoCon on resnet 3x3
                convolutions and 1x1 proj_in, text encoder; alphas on some modules
  sd_peft       diffusers/PEFT (unet.*.lora_A/B, text_encoder.*), lora_alpha from the metadata
  sd_two        both, set_adapters(["kohya", "peft"], [0.7, -0.4])
  sd_two_fused  the same after fuse_lora
  sdxl_kohya    kohya LDM-named UNet (input_blocks_...), lora_te1_ and lora_te2_

Run from the repository root: tools/reference/.venv/bin/python tools/reference/golden_lora.py
"""
import json
import os
import sys

import torch
from diffusers import AutoPipelineForText2Image
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import singlefile_fixtures as sf  # noqa: E402


def _allow_peft():
    """transformers 5.24 asks for peft >= 0.22, which is not published (0.21.2 is the newest); the
    LoRA layers used here are the same in 0.21, so skip the version gate."""
    import transformers.integrations.peft as tip
    import transformers.utils.peft_utils as tpu
    tpu.check_peft_version = lambda *a, **k: None
    tip.check_peft_version = lambda *a, **k: None


_allow_peft()

TD = "testdata"
LORA = os.path.join(TD, "lora")
GOLD = os.path.join(TD, "golden")
RANK = 4


def targets(model, kinds):
    out = []
    for name, mod in model.named_modules():
        leaf = name.rsplit(".", 1)[-1]
        if isinstance(mod, torch.nn.Linear) and any(name.endswith(k) for k in kinds):
            out.append((name, mod))
        elif isinstance(mod, torch.nn.Conv2d) and any(name.endswith(k) for k in kinds) and leaf != "conv_out":
            out.append((name, mod))
    return out


def pair(mod, g):
    if isinstance(mod, torch.nn.Conv2d):
        k = mod.kernel_size[0]
        down = torch.randn(RANK, mod.in_channels, k, k, generator=g) * 0.3
        up = torch.randn(mod.out_channels, RANK, 1, 1, generator=g) * 0.3
    else:
        down = torch.randn(RANK, mod.in_features, generator=g) * 0.3
        up = torch.randn(mod.out_features, RANK, generator=g) * 0.3
    return down, up


UNET_KINDS = ["to_q", "to_k", "to_v", "to_out.0", "ff.net.0.proj", "ff.net.2", "proj_in", "resnets.0.conv1"]
TE_KINDS = ["q_proj", "k_proj", "v_proj", "out_proj", "fc1"]


def kohya(pipe, seed, ldm=False):
    g = torch.Generator().manual_seed(seed)
    sd = {}
    cfg = pipe.unet.config
    for i, (name, mod) in enumerate(targets(pipe.unet, UNET_KINDS)):
        key = name
        if ldm:
            key = sf.unet_name(name + ".weight", cfg)[: -len(".weight")]
        base = "lora_unet_" + key.replace(".", "_")
        sd[base + ".lora_down.weight"], sd[base + ".lora_up.weight"] = pair(mod, g)
        # kohya writes an alpha for every module, usually one value for all (diffusers 0.42 applies
        # per-module alphas that differ only to some modules: its alpha_pattern misses e.g. to_k)
        sd[base + ".alpha"] = torch.tensor(float(RANK) / 2)
    encoders = [("text_encoder", "lora_te1_" if ldm else "lora_te_")]
    if getattr(pipe, "text_encoder_2", None) is not None:
        encoders.append(("text_encoder_2", "lora_te2_"))
    for comp, prefix in encoders:
        for i, (name, mod) in enumerate(targets(getattr(pipe, comp), TE_KINDS)):
            if not name.startswith("text_model."):
                name = "text_model." + name
            base = prefix + name.replace(".", "_")
            sd[base + ".lora_down.weight"], sd[base + ".lora_up.weight"] = pair(mod, g)
            sd[base + ".alpha"] = torch.tensor(1.0 if comp == "text_encoder" else 3.0)
    return sd


def peft_file(fixture, path):
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict
    pipe = AutoPipelineForText2Image.from_pretrained(os.path.join(TD, fixture), safety_checker=None)
    torch.manual_seed(5)
    ucfg = LoraConfig(r=RANK, lora_alpha=8, target_modules=["to_q", "to_k", "to_v", "to_out.0"], init_lora_weights=False)
    tcfg = LoraConfig(r=RANK, lora_alpha=2, target_modules=["q_proj", "v_proj", "out_proj"], init_lora_weights=False)
    pipe.unet.add_adapter(ucfg)
    pipe.text_encoder.add_adapter(tcfg)
    pipe.save_lora_weights(
        os.path.dirname(path), weight_name=os.path.basename(path),
        unet_lora_layers=get_peft_model_state_dict(pipe.unet),
        text_encoder_lora_layers=get_peft_model_state_dict(pipe.text_encoder),
        unet_lora_adapter_metadata=ucfg.to_dict(), text_encoder_lora_adapter_metadata=tcfg.to_dict())


def inputs(pipe, seed):
    g = torch.Generator().manual_seed(seed)
    c = pipe.unet.config
    x = {"sample": torch.randn(1, c.in_channels, 8, 8, generator=g), "timestep": torch.tensor([500.0]),
         "ids": torch.randint(0, pipe.tokenizer.vocab_size, (1, 77), generator=g)}
    x["context"] = torch.randn(1, 77, c.cross_attention_dim, generator=g)
    if c.addition_embed_type == "text_time":
        x["text_embeds"] = torch.randn(1, pipe.text_encoder_2.config.projection_dim, generator=g)
        x["time_ids"] = torch.tensor([[64.0, 64.0, 0.0, 0.0, 64.0, 64.0]])
    return x


@torch.no_grad()
def outputs(pipe, x):
    kw = {}
    if "text_embeds" in x:
        kw["added_cond_kwargs"] = {"text_embeds": x["text_embeds"], "time_ids": x["time_ids"]}
    out = {"unet": pipe.unet(x["sample"], x["timestep"], encoder_hidden_states=x["context"], **kw).sample}
    out["text_encoder"] = pipe.text_encoder(x["ids"]).last_hidden_state
    if getattr(pipe, "text_encoder_2", None) is not None:
        o = pipe.text_encoder_2(x["ids"], output_hidden_states=True)
        out["text_encoder_2"] = o.hidden_states[-2]
        out["text_encoder_2_embeds"] = o.text_embeds
    return out


def case(name, fixture, loras, weights=None, fuse=False, seed=0):
    pipe = AutoPipelineForText2Image.from_pretrained(os.path.join(TD, fixture), safety_checker=None)
    x = inputs(pipe, seed)
    base = outputs(pipe, x)
    for adapter, path in loras:
        pipe.load_lora_weights(path, adapter_name=adapter)
    if weights is not None:
        pipe.set_adapters([a for a, _ in loras], weights)
    if fuse:
        pipe.fuse_lora(adapter_names=[a for a, _ in loras])
    out = outputs(pipe, x)
    t = {"in_" + k: v.float().contiguous() for k, v in x.items()}
    for k, v in out.items():
        t["out_" + k] = v.contiguous()
        change = (v - base[k]).abs().max().item()
        assert change > 1e-3, (name, k, "LoRA changes nothing", change)
    meta = {"fixture": fixture, "loras": json.dumps([os.path.basename(p) for _, p in loras]),
            "weights": json.dumps(weights), "fuse": json.dumps(fuse)}
    save_file(t, os.path.join(GOLD, f"lora_{name}.safetensors"), metadata=meta)
    print(name, {k: round((out[k] - base[k]).abs().max().item(), 4) for k in out})


@torch.no_grad()
def pipe_case(name, fixture, loras, weights, kwargs, fuse=False):
    """The whole pipeline: diffusers' image with the LoRAs (images [N,H,W,3] in [0,1])."""
    pipe = AutoPipelineForText2Image.from_pretrained(os.path.join(TD, fixture), safety_checker=None)
    for adapter, path in loras:
        pipe.load_lora_weights(path, adapter_name=adapter)
    pipe.set_adapters([a for a, _ in loras], weights)
    if fuse:
        pipe.fuse_lora(adapter_names=[a for a, _ in loras])
    g = torch.Generator("cpu").manual_seed(kwargs["seed"])
    call = {k: v for k, v in kwargs.items() if k != "seed"}
    img = pipe(**call, generator=g, output_type="np").images
    meta = {"fixture": fixture, "loras": json.dumps([os.path.basename(p) for _, p in loras]),
            "weights": json.dumps(weights), "fuse": json.dumps(fuse), "call": json.dumps(kwargs)}
    save_file({"images": torch.from_numpy(img).contiguous()}, os.path.join(GOLD, f"lora_{name}.safetensors"), metadata=meta)
    print(name, img.shape)


def main():
    os.makedirs(LORA, exist_ok=True)
    sd = AutoPipelineForText2Image.from_pretrained(os.path.join(TD, "tiny-sd"), safety_checker=None)
    save_file(kohya(sd, 1), os.path.join(LORA, "sd_kohya.safetensors"))
    peft_file("tiny-sd", os.path.join(LORA, "sd_peft.safetensors"))
    xl = AutoPipelineForText2Image.from_pretrained(os.path.join(TD, "tiny-sdxl"))
    save_file(kohya(xl, 2, ldm=True), os.path.join(LORA, "sdxl_kohya.safetensors"))
    k, p = ("kohya", os.path.join(LORA, "sd_kohya.safetensors")), ("peft", os.path.join(LORA, "sd_peft.safetensors"))
    case("sd_kohya", "tiny-sd", [k])
    case("sd_peft", "tiny-sd", [p])
    case("sd_two", "tiny-sd", [k, p], weights=[0.7, -0.4])
    case("sd_two_fused", "tiny-sd", [k, p], weights=[0.7, -0.4], fuse=True)
    case("sdxl_kohya", "tiny-sdxl", [("xl", os.path.join(LORA, "sdxl_kohya.safetensors"))], seed=1)
    call = dict(prompt="a photo of a cat", num_inference_steps=3, height=64, width=64, seed=3)
    pipe_case("pipe_sd_two", "tiny-sd", [k, p], [0.6, -0.4], call)
    pipe_case("pipe_sd_two_fused", "tiny-sd", [k, p], [0.6, -0.4], call, fuse=True)
    xl = os.path.join(LORA, "sdxl_kohya.safetensors")
    pipe_case("pipe_sdxl", "tiny-sdxl", [("xl", xl)], [0.8], dict(call, prompt="a castle in the clouds"))


if __name__ == "__main__":
    main()
