"""Trains the demo model (internal/demo/shapes-sd) on the synthetic shapes of demo_data.py.

    nice -n 19 tools/reference/.venv/bin/python tools/reference/train_demo.py [OUT] [--minutes M]

from the repository root; OUT defaults to internal/demo/shapes-sd. Everything is diffusers' and
transformers' own classes, CPU, two threads, fixed seeds:

  1. AutoencoderKL (64x64 RGB -> 4x8x8 latents) trained alone on reconstruction (L1 + MSE,
     a small KL term); the latents' standard deviation sets scaling_factor.
  2. A fixed pool of captioned scenes encoded once to latents.
  3. UNet2DConditionModel and CLIPTextModel (the real CLIP tokenizer, testdata/clip-tokenizer/sd15)
     trained together on epsilon prediction (DDPM scaled_linear betas as Stable Diffusion, min-SNR
     loss weights, offset noise, one caption in ten empty for classifier-free guidance), with an EMA
     of both that is what gets saved.

Saved as a StableDiffusionPipeline folder (fp16 weights, DPMSolverMultistepScheduler, no safety
checker). The log (OUT/../train_log.txt) holds the loss curve and the wall time. The budget is wall
clock: each phase stops at its share of --minutes; a snapshot is written every few minutes.
"""

import argparse
import copy
import json
import math
import os
import shutil
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # on a busy machine, no spinning at barriers

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import demo_data  # noqa: E402

TOKENIZER = "testdata/clip-tokenizer/sd15"


def log(f, msg):
    line = f"{time.strftime('%H:%M:%S')} {msg}"
    print(line, flush=True)
    f.write(line + "\n")
    f.flush()


def batch_images(rng, n):
    imgs, caps = zip(*(demo_data.sample(rng) for _ in range(n)))
    x = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float() / 127.5 - 1
    return x, list(caps)


def make_vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 16, 32, 32), layers_per_block=1, norm_num_groups=2, sample_size=64,
        mid_block_add_attention=False)


def make_unet():
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, layers_per_block=1,
        block_out_channels=(32, 64), norm_num_groups=8, cross_attention_dim=32,
        attention_head_dim=(1, 2),
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"))


def make_text_encoder():
    from transformers import CLIPTextConfig, CLIPTextModel

    cfg = CLIPTextConfig(vocab_size=49408, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=77, hidden_act="quick_gelu",
                         bos_token_id=49406, eos_token_id=49407, pad_token_id=49407)
    return CLIPTextModel(cfg)


def train_vae(vae, rng, seconds, f):
    # The posterior's log-variance starts at -10 (std 0.007): sampled latents then carry the signal
    # from the first step instead of unit noise the encoder must first outgrow.
    with torch.no_grad():
        vae.quant_conv.weight[4:].zero_()
        vae.quant_conv.bias[4:].fill_(-10.0)
    opt = torch.optim.AdamW(vae.parameters(), lr=2e-3, weight_decay=0.0)
    start, step = time.time(), 0
    while time.time() - start < seconds:
        x, _ = batch_images(rng, 8)
        i, j = rng.integers(0, 5, size=2) * 8  # a random 32x32 crop: the VAE is convolutional
        x = x[:, :, i:i + 32, j:j + 32]
        post = vae.encode(x).latent_dist
        rec = vae.decode(post.sample()).sample
        l1 = (rec - x).abs().mean()
        loss = l1 + F.mse_loss(rec, x) + 1e-6 * post.kl().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 50 == 0:
            log(f, f"vae step {step} l1 {l1.item():.4f} loss {loss.item():.4f}")
    return step


@torch.no_grad()
def encode_pool(vae, tok, rng, n):
    lat, ids = [], []
    for i in range(0, n, 256):
        x, caps = batch_images(rng, min(256, n - i))
        lat.append(vae.encode(x).latent_dist.sample())
        ids.append(tok(caps, padding="max_length", max_length=77, truncation=True,
                       return_tensors="pt").input_ids)
    return torch.cat(lat), torch.cat(ids)


def ema_update(ema, model, decay):
    with torch.no_grad():
        for pe, pm in zip(ema.parameters(), model.parameters()):
            pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)


def min_snr_weights(sched, t, gamma=5.0):
    ac = sched.alphas_cumprod[t]
    snr = ac / (1 - ac)
    return torch.clamp(snr, max=gamma) / snr


def drop_non_finite(path):
    """Removes keys whose value is not finite (lambda_min_clipped: -Infinity is not JSON; diffusers
    uses the same value as default when the key is absent)."""
    with open(path) as f:
        cfg = json.load(f)
    cfg = {k: v for k, v in cfg.items() if not (isinstance(v, float) and not math.isfinite(v))}
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def save(out, vae, unet, te, tok):
    from diffusers import DPMSolverMultistepScheduler, StableDiffusionPipeline

    sched = DPMSolverMultistepScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                        num_train_timesteps=1000, steps_offset=1)
    pipe = StableDiffusionPipeline(vae=copy.deepcopy(vae).half(), text_encoder=copy.deepcopy(te).half(),
                                   tokenizer=tok, unet=copy.deepcopy(unet).half(), scheduler=sched,
                                   safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    pipe.save_pretrained(tmp, safe_serialization=True)
    drop_non_finite(os.path.join(tmp, "scheduler", "scheduler_config.json"))
    tokdir = os.path.join(tmp, "tokenizer")  # the tokenizer files exactly as in the fixtures
    shutil.rmtree(tokdir)
    shutil.copytree(TOKENIZER, tokdir)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)


def train_ldm(vae, lat, ids, args, f, out, tok):
    from diffusers import DDPMScheduler

    unet, te = make_unet(), make_text_encoder()
    ema_u, ema_t = copy.deepcopy(unet), copy.deepcopy(te)
    sched = DDPMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                          num_train_timesteps=1000)
    params = list(unet.parameters()) + list(te.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-2)
    log(f, f"unet params {sum(p.numel() for p in unet.parameters())}, "
           f"text encoder params {sum(p.numel() for p in te.parameters())}")
    g = torch.Generator().manual_seed(1)
    start, step, last_save, run = time.time(), 0, time.time(), 0.0
    while time.time() - start < args.ldm_seconds:
        idx = torch.randint(0, lat.shape[0], (args.batch,), generator=g)
        x0, tid = lat[idx], ids[idx]
        noise = torch.randn(x0.shape, generator=g)
        noise += 0.1 * torch.randn(x0.shape[0], x0.shape[1], 1, 1, generator=g)
        t = torch.randint(0, 1000, (args.batch,), generator=g)
        xt = sched.add_noise(x0, noise, t)
        cond = te(tid).last_hidden_state
        pred = unet(xt, t, encoder_hidden_states=cond).sample
        w = min_snr_weights(sched, t)
        loss = (w * ((pred - noise) ** 2).mean(dim=(1, 2, 3))).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        for group in opt.param_groups:
            group["lr"] = args.lr * min(1.0, (step + 1) / 100)
        opt.step()
        step += 1
        ema_update(ema_u, unet, min(0.995, (1 + step) / (10 + step)))
        ema_update(ema_t, te, min(0.995, (1 + step) / (10 + step)))
        run = loss.item() if step == 1 else 0.98 * run + 0.02 * loss.item()
        if step % 50 == 0:
            el = time.time() - start
            log(f, f"ldm step {step} loss {run:.4f} ({el / step:.2f} s/step)")
        if time.time() - last_save > args.snapshot_seconds:
            save(out, vae, ema_u, ema_t, tok)
            log(f, f"snapshot at step {step}")
            last_save = time.time()
    save(out, vae, ema_u, ema_t, tok)
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default="internal/demo/shapes-sd")
    ap.add_argument("--minutes", type=float, default=68)
    ap.add_argument("--vae-minutes", type=float, default=12)
    ap.add_argument("--pool", type=int, default=8000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--snapshot-minutes", type=float, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    from transformers import CLIPTokenizer

    tok = CLIPTokenizer.from_pretrained(TOKENIZER)
    rng = np.random.default_rng(0)
    t0 = time.time()
    logpath = os.path.join(os.path.dirname(os.path.abspath(args.out)), "train_log.txt")
    os.makedirs(os.path.dirname(logpath), exist_ok=True)
    with open(logpath, "w") as f:
        log(f, f"args {vars(args)}")
        vae = make_vae()
        log(f, f"vae params {sum(p.numel() for p in vae.parameters())}")
        steps = train_vae(vae, rng, args.vae_minutes * 60, f)
        vae.eval().requires_grad_(False)
        lat, ids = encode_pool(vae, tok, rng, args.pool)
        std = lat.std().item()
        vae.register_to_config(scaling_factor=round(1.0 / std, 5))
        lat = lat / std
        log(f, f"vae {steps} steps; pool {lat.shape[0]} latents, std {std:.4f}, "
               f"mean {lat.mean().item():.4f} (scaled); {time.time() - t0:.0f}s so far")
        args.ldm_seconds = args.minutes * 60 - (time.time() - t0)
        args.snapshot_seconds = args.snapshot_minutes * 60
        steps = train_ldm(vae, lat, ids, args, f, args.out, tok)
        log(f, f"done: ldm {steps} steps, wall time {(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
