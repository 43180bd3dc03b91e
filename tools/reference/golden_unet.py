"""Golden tensors for models/nn blocks and models/unet (UNet2DConditionModel forward).

Run from the repository root with no arguments:

    tools/reference/.venv/bin/python tools/reference/golden_unet.py

Writes, all fp32 on CPU, deterministic:
  testdata/golden/unet_nn_blocks.{safetensors,json}: single diffusers blocks (ResnetBlock2D,
      Transformer2DModel, Attention, Downsample2D, Upsample2D) with random weights; tensors
      "w.<block>.<param>" (weights), "in.<block>.<x>" (inputs) and "out.<block>" (outputs).
  testdata/golden/unet_<fixture>.{safetensors,json}: UNet output for each tiny fixture UNet
      (testdata/<fixture>/unet) on random latents, batch 2, timesteps (10, 999), random encoder
      states (and text_embeds/time_ids for SDXL-style models).

With AUTOPIPE_FULL=1 it also writes testdata/golden/unet_full_<name>.* from the full-size
configs with random weights (testdata/fullsize/<name>/unet, made by fullsize.py) at 16x16 latents.

With --golden UNET_DIR OUT_DIR it writes OUT_DIR/unet_check.* for any UNet folder (16x16
latents, or UNET_GOLDEN_HW), for TestCheckpointGolden (UNET_CHECK_DIR, UNET_CHECK_GOLDEN).

With --bench DIR it only times one forward of the UNet in DIR (a diffusers component folder,
e.g. the SD 1.5-size random UNet written by `go test ./models/unet -bench ForwardSD15`) at
64x64 latents, batch 2, 77 context tokens, on 2 CPU threads, fp32, and prints the seconds.
"""

import json
import os

import torch

import diffusers
import safetensors.torch
import transformers
from diffusers import UNet2DConditionModel
from diffusers.models.attention_processor import Attention
from diffusers.models.downsampling import Downsample2D
from diffusers.models.resnet import ResnetBlock2D
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from diffusers.models.upsampling import Upsample2D

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "testdata", "golden")

FIXTURES = ["tiny-sd", "tiny-sd2", "tiny-sd-inpaint", "tiny-sdxl", "tiny-sdxl-refiner"]

# Full-size random-weight UNets written by fullsize.py (name, requires_aesthetics_score).
FULL = [("sd15", False), ("sd21", False), ("sd-inpaint", False), ("sdxl", False), ("sdxl-refiner", True)]

torch.set_num_threads(2)


def versions():
    return {"torch": torch.__version__, "diffusers": diffusers.__version__, "transformers": transformers.__version__}


def save(name, tensors, desc, seed, extra=None, out=OUT):
    os.makedirs(out, exist_ok=True)
    tensors = {k: v.detach().to(torch.float32).clone().contiguous() for k, v in tensors.items()}
    safetensors.torch.save_file(tensors, os.path.join(out, name + ".safetensors"))
    man = {"description": desc, "seed": seed, "versions": versions(),
           "shapes": {k: list(v.shape) for k, v in sorted(tensors.items())}}
    if extra:
        man.update(extra)
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(man, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", name)


def randomize(module, gen):
    """Random weights everywhere (norm scales around 1) so that no block is an identity."""
    with torch.no_grad():
        for n, p in module.named_parameters():
            r = torch.randn(p.shape, generator=gen) * 0.2
            if "norm" in n and n.endswith("weight"):
                r += 1
            p.copy_(r)


def nn_blocks():
    gen = torch.Generator("cpu").manual_seed(0)
    t = {}

    def add(name, mod, inputs, out):
        for k, v in mod.state_dict().items():
            if "Conv2d_0" in k:  # alias of "conv" in Downsample2D; checkpoints store "conv"
                continue
            t["w.%s.%s" % (name, k)] = v
        for k, v in inputs.items():
            t["in.%s.%s" % (name, k)] = v
        t["out." + name] = out

    with torch.no_grad():
        # resnet: 32 -> 32 with time embedding; resnet_short: 32 -> 64, output_scale_factor 2.
        m = ResnetBlock2D(in_channels=32, out_channels=32, temb_channels=48, groups=8, eps=1e-5).eval()
        randomize(m, gen)
        x = torch.randn(2, 32, 6, 5, generator=gen)
        temb = torch.randn(2, 48, generator=gen)
        add("resnet", m, {"x": x, "temb": temb}, m(x, temb))

        m = ResnetBlock2D(in_channels=32, out_channels=64, temb_channels=None, groups=8, eps=1e-6,
                          output_scale_factor=2.0).eval()
        randomize(m, gen)
        x = torch.randn(1, 32, 5, 4, generator=gen)
        add("resnet_short", m, {"x": x}, m(x, None))

        # transformer: conv projection, 2 layers, cross-attention dim 24, 2 heads of 16.
        m = Transformer2DModel(num_attention_heads=2, attention_head_dim=16, in_channels=32, num_layers=2,
                               cross_attention_dim=24, norm_num_groups=8).eval()
        randomize(m, gen)
        x = torch.randn(2, 32, 4, 5, generator=gen)
        ctx = torch.randn(2, 7, 24, generator=gen)
        add("transformer", m, {"x": x, "ctx": ctx}, m(x, encoder_hidden_states=ctx).sample)

        # transformer_lin: linear projection, only_cross_attention.
        m = Transformer2DModel(num_attention_heads=4, attention_head_dim=8, in_channels=32, num_layers=1,
                               cross_attention_dim=24, norm_num_groups=8, use_linear_projection=True,
                               only_cross_attention=True).eval()
        randomize(m, gen)
        x = torch.randn(2, 32, 3, 4, generator=gen)
        ctx = torch.randn(2, 5, 24, generator=gen)
        add("transformer_lin", m, {"x": x, "ctx": ctx}, m(x, encoder_hidden_states=ctx).sample)

        # attn_spatial: VAE mid-block style attention on [N, C, H, W].
        m = Attention(32, heads=1, dim_head=32, rescale_output_factor=1.0, eps=1e-6, norm_num_groups=8,
                      spatial_norm_dim=None, residual_connection=True, bias=True, upcast_softmax=True,
                      _from_deprecated_attn_block=True).eval()
        randomize(m, gen)
        x = torch.randn(1, 32, 4, 3, generator=gen)
        add("attn_spatial", m, {"x": x}, m(x))

        # down_pad0: VAE-style downsampler (pad right/bottom, conv padding 0); down_pad1: UNet style.
        m = Downsample2D(16, use_conv=True, out_channels=16, padding=0, name="conv").eval()
        randomize(m, gen)
        x = torch.randn(1, 16, 7, 6, generator=gen)
        add("down_pad0", m, {"x": x}, m(x))
        m = Downsample2D(16, use_conv=True, out_channels=16, padding=1, name="op").eval()
        randomize(m, gen)
        x = torch.randn(1, 16, 7, 6, generator=gen)
        add("down_pad1", m, {"x": x}, m(x))

        # up: 2x; up_size: explicit output size (7, 5) from (4, 3).
        m = Upsample2D(16, use_conv=True, out_channels=8).eval()
        randomize(m, gen)
        x = torch.randn(1, 16, 4, 3, generator=gen)
        add("up", m, {"x": x}, m(x))
        add("up_size", m, {"x": x}, m(x, output_size=(7, 5)))
    save("unet_nn_blocks", t, "single diffusers blocks with random weights: w.<block>.* weights, in.<block>.* inputs, out.<block> output", 0)


def unet_case(name, unet_dir, hw, requires_aesthetics=False, out=OUT):
    variant = None
    if not os.path.exists(os.path.join(unet_dir, "diffusion_pytorch_model.safetensors")) and \
            os.path.exists(os.path.join(unet_dir, "diffusion_pytorch_model.fp16.safetensors")):
        variant = "fp16"  # fp16 weights, computed in fp32 (as the Go loader converts them)
    unet = UNet2DConditionModel.from_pretrained(unet_dir, torch_dtype=torch.float32, variant=variant).eval()
    cfg = unet.config
    gen = torch.Generator("cpu").manual_seed(0)
    h, w = hw
    sample = torch.randn(2, cfg.in_channels, h, w, generator=gen)
    timestep = torch.tensor([10.0, 999.0])
    cad = cfg.cross_attention_dim
    if isinstance(cad, (list, tuple)):
        cad = cad[0]
    ehs = torch.randn(2, 8, cad, generator=gen)
    t = {"sample": sample, "timestep": timestep, "encoder_hidden_states": ehs}
    added = None
    if cfg.addition_embed_type == "text_time":
        k = 5 if requires_aesthetics else 6
        text_dim = cfg.projection_class_embeddings_input_dim - k * cfg.addition_time_embed_dim
        t["text_embeds"] = torch.randn(2, text_dim, generator=gen)
        if k == 6:
            t["time_ids"] = torch.tensor([[h * 8.0, w * 8.0, 0.0, 0.0, h * 8.0, w * 8.0],
                                         [h * 8.0, w * 8.0, 3.0, 5.0, h * 8.0, w * 8.0]])
        else:
            t["time_ids"] = torch.tensor([[h * 8.0, w * 8.0, 0.0, 0.0, 6.0],
                                         [h * 8.0, w * 8.0, 3.0, 5.0, 2.5]])
        added = {"text_embeds": t["text_embeds"], "time_ids": t["time_ids"]}
    with torch.no_grad():
        t["out"] = unet(sample, timestep, encoder_hidden_states=ehs, added_cond_kwargs=added).sample
    save(name, t, "UNet2DConditionModel.from_pretrained(%s) forward: batch 2, timesteps (10, 999), %dx%d latents"
         % (os.path.relpath(unet_dir, ROOT), h, w), 0, out=out)


def bench(unet_dir, hw=64, runs=1):
    import time
    unet = UNet2DConditionModel.from_pretrained(unet_dir, torch_dtype=torch.float32).eval()
    cfg = unet.config
    gen = torch.Generator("cpu").manual_seed(0)
    sample = torch.randn(2, cfg.in_channels, hw, hw, generator=gen)
    cad = cfg.cross_attention_dim
    if isinstance(cad, (list, tuple)):
        cad = cad[0]
    ehs = torch.randn(2, 77, cad, generator=gen)
    ts = torch.tensor([10.0, 999.0])
    with torch.no_grad():
        for _ in range(runs):
            t0 = time.perf_counter()
            unet(sample, ts, encoder_hidden_states=ehs)
            print("diffusers forward %dx%d batch 2: %.2fs (torch %s, %d threads)"
                  % (hw, hw, time.perf_counter() - t0, torch.__version__, torch.get_num_threads()), flush=True)


def real_configs():
    """Tensor names and shapes diffusers expects for every real Hub UNet config in testdata/configs."""
    import hashlib
    base = os.path.join(ROOT, "testdata", "configs")
    out = {}
    for repo in sorted(os.listdir(base)):
        p = os.path.join(base, repo, "unet", "config.json")
        if not os.path.isfile(p):
            continue
        cfg = UNet2DConditionModel.load_config(p)
        with torch.device("meta"):
            m = UNet2DConditionModel.from_config(cfg)
        lines = sorted("%s %s" % (k, ",".join(str(d) for d in v.shape)) for k, v in m.state_dict().items())
        out[repo] = {"tensors": len(lines), "params": sum(v.numel() for v in m.state_dict().values()),
                     "sha256": hashlib.sha256("\n".join(lines).encode()).hexdigest()}
    man = {"description": "per real UNet config: count, total elements and sha256 of the sorted "
                          "'name d0,d1,...' lines of UNet2DConditionModel.from_config(config).state_dict()",
           "versions": versions(), "configs": out}
    with open(os.path.join(OUT, "unet_configs.json"), "w") as f:
        json.dump(man, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote unet_configs")


def main():
    import sys
    if "--bench" in sys.argv:
        i = sys.argv.index("--bench")
        hw = int(os.environ.get("UNET_BENCH_HW", "64"))
        bench(sys.argv[i + 1], hw=hw, runs=int(os.environ.get("UNET_BENCH_RUNS", "1")))
        return
    if "--golden" in sys.argv:
        # --golden UNET_DIR OUT_DIR: golden "unet_check" for any UNet folder at 16x16 latents
        # (checked by `UNET_CHECK_DIR=UNET_DIR UNET_CHECK_GOLDEN=OUT_DIR go test ./models/unet -run Check`).
        i = sys.argv.index("--golden")
        hw = int(os.environ.get("UNET_GOLDEN_HW", "16"))
        unet_case("unet_check", sys.argv[i + 1], (hw, hw), out=sys.argv[i + 2])
        return
    nn_blocks()
    real_configs()
    for fx in FIXTURES:
        d = os.path.join(ROOT, "testdata", fx, "unet")
        if not os.path.isdir(d):
            print("missing fixture", d)
            continue
        with open(os.path.join(ROOT, "testdata", fx, "model_index.json")) as f:
            mi = json.load(f)
        aest = bool(mi.get("requires_aesthetics_score", False))
        unet_case("unet_" + fx.replace("-", "_"), d, (16, 16), requires_aesthetics=aest)
        if fx == "tiny-sd":
            # Sizes that do not divide by the UNet's overall downsampling: exercises upsample_size.
            unet_case("unet_tiny_sd_odd", d, (13, 10))
    if os.environ.get("AUTOPIPE_FULL") == "1":
        for name, aest in FULL:
            d = os.path.join(ROOT, "testdata", "fullsize", name, "unet")
            if os.path.isdir(d):
                unet_case("unet_full_" + name.replace("-", "_"), d, (16, 16), requires_aesthetics=aest)
            else:
                print("missing", d)


if __name__ == "__main__":
    main()
