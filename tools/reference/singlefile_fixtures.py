"""Single-file (LDM layout) checkpoints from the tiny diffusers fixtures, checked with diffusers.

For each tiny pipeline (SD 1.x, SD 2.x, SD inpainting, SDXL base, SDXL refiner) this writes a recipe,
testdata/singlefile/<fixture>.json: for every tensor of the single file, its LDM name, how it is made
from the fixture's diffusers tensors ("" copy, "T" transpose, "cat" concatenation on axis 0, "conv"
unsqueeze to a 1x1 convolution, "zeros" a leftover buffer of the given shape) and the sources. The Go
tests build the file from the recipe and the fixture (so no weights are stored twice).

The same recipe is applied here to write the file, and diffusers' from_single_file(file, config=<tiny
folder>) must load every component bit-identical to the folder and give the same image with the same
seed: testdata/singlefile/<fixture>.json records the comparison ("max_abs_diff").

Run from the repository root: tools/reference/.venv/bin/python tools/reference/singlefile_fixtures.py
"""
import json
import os
import sys
import tempfile

import torch
from diffusers import AutoPipelineForImage2Image, AutoPipelineForInpainting, AutoPipelineForText2Image
from safetensors.torch import load_file, save_file

TD = "testdata"
OUT = os.path.join(TD, "singlefile")

RESNET = [("norm1", "in_layers.0"), ("conv1", "in_layers.2"), ("time_emb_proj", "emb_layers.1"),
          ("norm2", "out_layers.0"), ("conv2", "out_layers.3"), ("conv_shortcut", "skip_connection")]
TOP = [("time_embedding.linear_1", "time_embed.0"), ("time_embedding.linear_2", "time_embed.2"),
       ("add_embedding.linear_1", "label_emb.0.0"), ("add_embedding.linear_2", "label_emb.0.2"),
       ("conv_in", "input_blocks.0.0"), ("conv_norm_out", "out.0"), ("conv_out", "out.2")]


def rename(rest, table):
    for a, b in table:
        if rest.startswith(a + "."):
            return b + rest[len(a):]
    return rest


def unet_name(n, cfg):
    per = cfg["layers_per_block"] + 1
    up_attn = [t.startswith("CrossAttn") for t in cfg["up_block_types"]]
    for a, b in TOP:
        if n.startswith(a + "."):
            return b + n[len(a):]
    p = n.split(".")
    if p[0] == "mid_block":
        j = {"resnets.0": 0, "attentions.0": 1, "resnets.1": 2}[p[1] + "." + p[2]]
        rest = ".".join(p[3:])
        return f"middle_block.{j}." + (rename(rest, RESNET) if j != 1 else rest)
    b, kind, rest = int(p[1]), p[2], p[3:]
    if p[0] == "down_blocks":
        if kind == "downsamplers":
            return f"input_blocks.{1 + b * per + per - 1}.0.op." + ".".join(rest[2:])
        l, rest = int(rest[0]), ".".join(rest[1:])
        i = 1 + b * per + l
        return f"input_blocks.{i}.0." + rename(rest, RESNET) if kind == "resnets" else f"input_blocks.{i}.1." + rest
    if kind == "upsamplers":
        return f"output_blocks.{b * per + per - 1}.{2 if up_attn[b] else 1}.conv." + ".".join(rest[2:])
    l, rest = int(rest[0]), ".".join(rest[1:])
    i = b * per + l
    return f"output_blocks.{i}.0." + rename(rest, RESNET) if kind == "resnets" else f"output_blocks.{i}.1." + rest


VAE_ATTN = [("group_norm", "norm"), ("to_q", "q"), ("to_k", "k"), ("to_v", "v"), ("to_out.0", "proj_out")]


def vae_name(n, cfg):
    """diffusers VAE name -> (LDM name, op)."""
    nb = len(cfg["block_out_channels"])
    if n.startswith(("quant_conv.", "post_quant_conv.")):
        return n, ""
    coder, rest = n.split(".", 1)
    for a, b in [("conv_in", "conv_in"), ("conv_out", "conv_out"), ("conv_norm_out", "norm_out")]:
        if rest.startswith(a + "."):
            return f"{coder}.{b}" + rest[len(a):], ""
    p = rest.split(".")
    if p[0] == "mid_block":
        if p[1] == "attentions":
            r = rename(".".join(p[3:]), VAE_ATTN)
            op = "conv" if r.endswith("weight") and not r.startswith("norm.") else ""
            return f"{coder}.mid.attn_1.{r}", op
        r = rename(".".join(p[3:]), [("conv_shortcut", "nin_shortcut")])
        return f"{coder}.mid.block_{int(p[2]) + 1}.{r}", ""
    i = int(p[1])
    level, sampler = ("down", "downsample") if coder == "encoder" else ("up", "upsample")
    if coder == "decoder":
        i = nb - 1 - i
    if p[2] in ("downsamplers", "upsamplers"):
        return f"{coder}.{level}.{i}.{sampler}.conv." + ".".join(p[5:]), ""
    r = rename(".".join(p[4:]), [("conv_shortcut", "nin_shortcut")])
    return f"{coder}.{level}.{i}.block.{p[3]}.{r}", ""


OPENCLIP_TOP = {
    "text_model.embeddings.token_embedding.weight": "token_embedding.weight",
    "text_model.embeddings.position_embedding.weight": "positional_embedding",
    "text_model.final_layer_norm.weight": "ln_final.weight",
    "text_model.final_layer_norm.bias": "ln_final.bias",
}
OPENCLIP_BLOCK = [("layer_norm1", "ln_1"), ("layer_norm2", "ln_2"), ("mlp.fc1", "mlp.c_fc"), ("mlp.fc2", "mlp.c_proj"),
                  ("self_attn.out_proj", "attn.out_proj")]


def normalized(sd):
    """transformers 5 saves CLIPTextModel without "text_model."; LDM files use the full names."""
    return {n if n.startswith(("text_model.", "text_projection")) else "text_model." + n: n for n in sd}


def openclip_recipe(sd, comp, prefix, hidden, projection):
    out = []
    orig = normalized(sd)
    for n in sorted(orig):
        if n in OPENCLIP_TOP:
            out.append([prefix + OPENCLIP_TOP[n], "", comp, [orig[n]]])
        elif n == "text_projection.weight":
            out.append([prefix + "text_projection", "T", comp, [orig[n]]])
        elif ".self_attn.q_proj." in n:
            what = n.rsplit(".", 1)[1]
            srcs = [orig[n.replace("q_proj", x)] for x in ("q_proj", "k_proj", "v_proj")]
            i = n.split(".")[3]
            out.append([f"{prefix}transformer.resblocks.{i}.attn.in_proj_{what}", "cat", comp, srcs])
        elif ".self_attn.k_proj." in n or ".self_attn.v_proj." in n or n.endswith("position_ids"):
            continue
        else:
            i, rest = n.split(".")[3], ".".join(n.split(".")[4:])
            out.append([f"{prefix}transformer.resblocks.{i}.{rename(rest, OPENCLIP_BLOCK)}", "", comp, [orig[n]]])
    if not projection:  # real SD 2.x files carry the unused projection
        out.append([prefix + "text_projection", "zeros", [hidden, hidden], []])
    out.append([prefix + "logit_scale", "zeros", [], []])
    return out


FIXTURES = {
    # fixture: (text encoders as (component, prefix, open_clip)), auto class, call kwargs
    "tiny-sd": ([("text_encoder", "cond_stage_model.transformer.", False)], AutoPipelineForText2Image,
                dict(prompt="a photo of an astronaut riding a horse", num_inference_steps=3)),
    "tiny-sd2": ([("text_encoder", "cond_stage_model.model.", True)], AutoPipelineForText2Image,
                 dict(prompt="a castle in the clouds", num_inference_steps=3)),
    "tiny-sd-inpaint": ([("text_encoder", "cond_stage_model.transformer.", False)], AutoPipelineForInpainting,
                        dict(prompt="a cat on a bench", num_inference_steps=3)),
    "tiny-sdxl": ([("text_encoder", "conditioner.embedders.0.transformer.", False),
                   ("text_encoder_2", "conditioner.embedders.1.model.", True)], AutoPipelineForText2Image,
                  dict(prompt="a castle in the clouds", num_inference_steps=3)),
    "tiny-sdxl-refiner": ([("text_encoder_2", "conditioner.embedders.0.model.", True)], AutoPipelineForImage2Image,
                          dict(prompt="a portrait of a dog", num_inference_steps=4, strength=0.5)),
}

LEFTOVERS = [["alphas_cumprod", "zeros", [1000], []], ["model_ema.decay", "zeros", [], []]]


def weights_file(folder, comp, variant=None):
    base = "diffusion_pytorch_model" if comp in ("unet", "vae") else "model"
    return os.path.join(folder, comp, base + (f".{variant}" if variant else "") + ".safetensors")


def load(fixture, comp, root=TD, names_only=False):
    d = os.path.join(root, fixture, comp)
    f = os.path.join(d, os.path.basename(weights_file(d, comp)))
    cfg = json.load(open(os.path.join(d, "config.json")))
    if names_only:
        from safetensors import safe_open
        with safe_open(f, "pt") as h:
            return dict.fromkeys(h.keys()), cfg
    return load_file(f), cfg


def recipe(fixture, encoders, root=TD):
    out = []
    sd, cfg = load(fixture, "unet", root, names_only=True)
    out += [["model.diffusion_model." + unet_name(n, cfg), "", "unet", [n]] for n in sorted(sd)]
    sd, cfg = load(fixture, "vae", root, names_only=True)
    for n in sorted(sd):
        name, op = vae_name(n, cfg)
        out.append(["first_stage_model." + name, op, "vae", [n]])
    for comp, prefix, open_clip in encoders:
        sd, cfg = load(fixture, comp, root, names_only=True)
        if open_clip:
            out += openclip_recipe(sd, comp, prefix, cfg["hidden_size"], "text_projection.weight" in sd)
        else:
            out += [[prefix + n, "", comp, [o]] for n, o in sorted(normalized(sd).items())]
    return out + LEFTOVERS


def build(fixture, rec):
    cache, tensors = {}, {}
    for name, op, comp, srcs in rec:
        if op == "zeros":
            tensors[name] = torch.zeros(comp)
            continue
        if comp not in cache:
            cache[comp] = load(fixture, comp)[0]
        ts = [cache[comp][s] for s in srcs]
        t = {"": lambda: ts[0], "T": lambda: ts[0].T, "cat": lambda: torch.cat(ts, 0),
             "conv": lambda: ts[0][:, :, None, None]}[op]()
        tensors[name] = t.contiguous().clone()
    assert len(tensors) == len(rec), "duplicate LDM names"
    return tensors


def open_clip_sdxl(fixture, path):
    """diffusers tells SDXL's two text encoders apart by their widths, which are equal in the tiny
    fixture, so it would read text_encoder_2 from the CLIP-L weights: convert it with diffusers'
    convert_open_clip_checkpoint and pass it in."""
    from diffusers.loaders.single_file_utils import convert_open_clip_checkpoint
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection
    model = CLIPTextModelWithProjection(CLIPTextConfig.from_pretrained(os.path.join(TD, fixture, "text_encoder_2")))
    sd = convert_open_clip_checkpoint(model, load_file(path), prefix="conditioner.embedders.1.model.")
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not unexpected and all(k.endswith("position_ids") for k in missing), (missing, unexpected)
    return model.eval()


def compare(fixture, auto, kwargs, path):
    extra = {"safety_checker": None} if fixture == "tiny-sd" else {}
    folder = auto.from_pretrained(os.path.join(TD, fixture), **extra)
    if fixture == "tiny-sdxl":
        extra["text_encoder_2"] = open_clip_sdxl(fixture, path)
    single = folder.__class__.from_single_file(path, config=os.path.join(TD, fixture), **extra)
    worst = 0.0
    for comp in ("unet", "vae", "text_encoder", "text_encoder_2"):
        a, b = getattr(folder, comp, None), getattr(single, comp, None)
        if a is None and b is None:
            continue
        sa, sb = a.state_dict(), b.state_dict()
        assert sa.keys() == sb.keys(), (fixture, comp, set(sa) ^ set(sb))
        meta = [k for k in sb if sb[k].is_meta]
        assert not meta, (fixture, comp, "not loaded by from_single_file", meta)
        for k in sa:
            worst = max(worst, (sa[k].float() - sb[k].float()).abs().max().item() if sa[k].numel() else 0.0)
    img = {}
    if auto is not AutoPipelineForText2Image:
        from PIL import Image
        img["image"] = Image.new("RGB", (64, 64), (120, 80, 40))
        if auto is AutoPipelineForInpainting:
            m = Image.new("L", (64, 64), 0)
            m.paste(255, (16, 16, 48, 48))
            img["mask_image"] = m
    ims = []
    for p in (folder, single):
        g = torch.Generator("cpu").manual_seed(3)
        ims.append(p(**kwargs, **img, height=64, width=64, generator=g, output_type="np").images)
    return worst, float(abs(ims[0] - ims[1]).max())


def main():
    os.makedirs(OUT, exist_ok=True)
    only = sys.argv[1:]
    for fixture, (encoders, auto, kwargs) in FIXTURES.items():
        if only and fixture not in only:
            continue
        rec = recipe(fixture, encoders)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, fixture + ".safetensors")
            save_file(build(fixture, rec), path)
            weights_diff, image_diff = compare(fixture, auto, kwargs, path)
        assert weights_diff == 0 and image_diff < 1e-5, (fixture, weights_diff, image_diff)
        with open(os.path.join(OUT, fixture + ".json"), "w") as f:
            json.dump({"fixture": fixture, "weights_max_abs_diff": weights_diff, "image_max_abs_diff": image_diff,
                       "tensors": rec}, f, separators=(",", ":"))
            f.write("\n")
        print(fixture, len(rec), "tensors; from_single_file == folder:", weights_diff, image_diff)


if __name__ == "__main__":
    sys.exit(main())
