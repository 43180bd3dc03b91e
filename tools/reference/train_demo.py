"""Trains the demo model (internal/demo/shapes-sd) on the synthetic shapes of demo_data.py.

    nice -n 19 tools/reference/.venv/bin/python tools/reference/train_demo.py [OUT] [--minutes M]

from the repository root; OUT defaults to internal/demo/shapes-sd. Everything is diffusers' and
transformers' own classes, CPU, two threads, fixed seeds:

  1. AutoencoderKL (64x64 RGB <-> 4x8x8 latents) set, not trained, to pass colours through: it
     encodes 8x8 block means and decodes by nearest upsampling (set_passthrough_vae). On two busy
     cores there was no time to train a VAE from scratch; this one is exact from the first step,
     so the latents of the pool are just block means, and scaling_factor is 1/std of them.
  2. UNet2DConditionModel and CLIPTextModel (the real CLIP tokenizer, testdata/clip-tokenizer/sd15)
     trained together (DDPM scaled_linear betas as Stable Diffusion, offset noise, one caption in
     ten empty for classifier-free guidance), with an EMA of both that is what gets saved. By
     default on v-prediction with the loss weights of loss_weights(); --zero-snr also rescales the
     betas to zero terminal SNR. Both are what let it learn positions: with epsilon prediction,
     min-SNR weights and Stable Diffusion's schedule, the noisiest latents still carry the
     picture's layout (sqrt(alphas_cumprod[999]) = 0.07) and their loss weight is 0.005, so the
     model reads the layout from the noise and never from the caption (a model trained that way
     put the shape in the asked place 8% of the time, chance being 11%).
  3. The decoder fine-tuned (the encoder fixed) for --decoder-minutes.

Saved as a StableDiffusionPipeline folder (fp16 weights, DPMSolverMultistepScheduler, no safety
checker). The log (OUT/../train_log.txt) holds the loss curve, the held-out accuracy read from the
latents at each snapshot (evaluate()) and the wall time. The budget is wall clock (each phase stops
at its share of --minutes) or --steps for the UNet phase; a snapshot is written every few minutes.
--resume DIR continues from a saved folder (its EMA weights, a fresh optimizer); --t-power p < 1
draws timesteps as 1000 u^p, more often noisy.

The committed model (6362 UNet steps, about 50 minutes on two cores, then 6 minutes of decoder):

    train_demo.py RUN1 --zero-snr --steps 2843 --decoder-minutes 0
    train_demo.py RUN2 --zero-snr --resume RUN1 --steps 3519 --decoder-minutes 0 --t-power 0.5
    train_demo.py OUT  --zero-snr --resume RUN2 --steps 1 --decoder-minutes 6

(it was made as the step-2843 and step-3519 snapshots of longer runs of the first two; the held-out
estimate went from 19% of positions right after the first to 100% within 1100 steps of the
second, whose noisier timesteps are where the layout is decided).
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
        block_out_channels=(8, 16, 32, 32), layers_per_block=1, norm_num_groups=1, sample_size=64,
        mid_block_add_attention=False)


def make_unet(levels=2):
    """levels 2: 8x8 -> 4x4; levels 3 adds a 2x2 level, where every cell touches the border on
    known sides (zero padding is the UNet's only clue to absolute position)."""
    from diffusers import UNet2DConditionModel

    channels, heads = (32, 64, 64)[:levels], (1, 2, 2)[:levels]
    return UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, layers_per_block=1,
        block_out_channels=channels, norm_num_groups=8, cross_attention_dim=32,
        attention_head_dim=heads,
        down_block_types=("CrossAttnDownBlock2D",) * levels,
        up_block_types=("CrossAttnUpBlock2D",) * levels)


def make_text_encoder():
    from transformers import CLIPTextConfig, CLIPTextModel

    cfg = CLIPTextConfig(vocab_size=49408, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=77, hidden_act="quick_gelu",
                         bos_token_id=49406, eos_token_id=49407, pad_token_id=49407)
    return CLIPTextModel(cfg)


@torch.no_grad()
def set_passthrough_vae(vae, a_enc=1000.0, a_dec=10.0):
    """Sets the weights of vae so that it encodes an image into its 8x8 block means (latent channels
    0-2: RGB, 3: zero; log-variance -30) and decodes latents by nearest upsampling: a pass-through
    autoencoder built from AutoencoderKL's own layers, with nothing to learn first.

    Every level carries eight channels [R, -R, G, -G, B, -B, a, -a] (a constant a from a bias): their
    mean is zero, so GroupNorm(1) divides them by a nearly image-independent sqrt(a^2/4 * 8/C), and
    SiLU(x) - SiLU(-x) = x recovers each colour exactly after the SiLU. Resnets are the identity
    (conv2 zero; the shortcut copies the eight channels), downsamplers average 2x2 blocks,
    upsamplers copy. The decoder's a is small so that its resnets can later learn sharper edges
    from those channels; the encoder's is large (its scale error is below 1e-5)."""
    for m in vae.modules():
        name = type(m).__name__
        if name == "ResnetBlock2D":
            m.conv2.weight.zero_()
            m.conv2.bias.zero_()
            if m.conv_shortcut is not None:
                m.conv_shortcut.weight.zero_()
                m.conv_shortcut.bias.zero_()
                for c in range(8):
                    m.conv_shortcut.weight[c, c, 0, 0] = 1
        elif name == "Downsample2D":
            m.conv.weight.zero_()
            m.conv.bias.zero_()
            for c in range(8):
                m.conv.weight[c, c, 0:2, 0:2] = 0.25
        elif name == "Upsample2D":
            m.conv.weight.zero_()
            m.conv.bias.zero_()
            for c in range(8):
                m.conv.weight[c, c, 1, 1] = 1

    def spread(conv, a, rgb_in):  # [x, -x] per colour, then the constants
        conv.weight.zero_()
        conv.bias.zero_()
        for c in range(3):
            conv.weight[2 * c, rgb_in[c], 1, 1] = 1
            conv.weight[2 * c + 1, rgb_in[c], 1, 1] = -1
        conv.bias[6], conv.bias[7] = a, -a

    def gather(conv, norm, a, channels):  # x = k (SiLU(x/k) - SiLU(-x/k)) after GroupNorm(1)
        norm.weight.fill_(1)
        norm.bias.zero_()
        k = (2 * a * a / channels) ** 0.5
        conv.weight.zero_()
        conv.bias.zero_()
        for c in range(3):
            conv.weight[c, 2 * c, 1, 1] = k
            conv.weight[c, 2 * c + 1, 1, 1] = -k

    enc, dec = vae.encoder, vae.decoder
    spread(enc.conv_in, a_enc, [0, 1, 2])
    gather(enc.conv_out, enc.conv_norm_out, a_enc, enc.conv_out.in_channels)
    enc.conv_out.bias[4:] = -30.0  # log-variance: sampling adds ~3e-7
    vae.quant_conv.weight.zero_()
    vae.quant_conv.bias.zero_()
    for c in range(8):
        vae.quant_conv.weight[c, c, 0, 0] = 1
    vae.quant_conv.bias[4:] = 0
    vae.post_quant_conv.weight.zero_()
    vae.post_quant_conv.bias.zero_()
    for c in range(4):
        vae.post_quant_conv.weight[c, c, 0, 0] = 1
    spread(dec.conv_in, a_dec, [0, 1, 2])
    gather(dec.conv_out, dec.conv_norm_out, a_dec, dec.conv_out.in_channels)


def block_means(x):
    """What the pass-through encoder computes: 8x8 block means of RGB and a zero channel."""
    m = F.avg_pool2d(x, 8)
    return torch.cat([m, torch.zeros_like(m[:, :1])], dim=1)


def train_decoder(vae, rng, seconds, f):
    """Fine-tunes the decoder (the encoder stays the block means the UNet was trained on) on 32x32
    crops: L1 + MSE against the image."""
    vae.decoder.requires_grad_(True)
    opt = torch.optim.AdamW(vae.decoder.parameters(), lr=1e-3, weight_decay=0.0)
    start, step = time.time(), 0
    while time.time() - start < seconds:
        x, _ = batch_images(rng, 8)
        i, j = rng.integers(0, 5, size=2) * 8
        x = x[:, :, i:i + 32, j:j + 32]
        rec = vae.decode(block_means(x)).sample
        l1 = (rec - x).abs().mean()
        loss = l1 + F.mse_loss(rec, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 50 == 0:
            log(f, f"decoder step {step} l1 {l1.item():.4f}")
    vae.requires_grad_(False)
    return step


def make_pool(tok, rng, n):
    lat, ids = [], []
    for i in range(0, n, 256):
        x, caps = batch_images(rng, min(256, n - i))
        lat.append(block_means(x))
        ids.append(tok(caps, padding="max_length", max_length=77, truncation=True,
                       return_tensors="pt").input_ids)
    return torch.cat(lat), torch.cat(ids)


def ema_update(ema, model, decay):
    with torch.no_grad():
        for pe, pm in zip(ema.parameters(), model.parameters()):
            pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)


def loss_weights(sched, t, prediction, gamma=5.0):
    """Per-sample weights of the squared error. Measured on the clean latents x0 the error weight
    is min(max(SNR, 1), gamma): at most gamma on the nearly clean steps (min-SNR, Hang et al. 2023)
    and at least 1 on the noisiest ones (the truncated SNR weighting of Salimans & Ho 2022), where
    only the caption can say where the shape goes; plain min-SNR leaves them a weight of SNR, about
    0.005 at t = 999, and the layout is never learnt. An epsilon error counts SNR times its x0
    error, a v error SNR + 1 times."""
    ac = sched.alphas_cumprod[t]
    snr = ac / (1 - ac)
    w = torch.clamp(torch.clamp(snr, min=1.0), max=gamma)
    return w / (snr + 1 if prediction == "v_prediction" else snr)


def target(sched, x0, noise, t, prediction):
    """What the UNet learns to predict: the noise, or v = sqrt(a) noise - sqrt(1-a) x0. With v the
    noisiest steps ask for the clean latents themselves, so the caption's layout is learnt there."""
    if prediction == "v_prediction":
        return sched.get_velocity(x0, noise, t)
    return noise


# The noise schedule both the training and the saved pipeline use (main sets it from the flags).
SCHEDULE = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
            "num_train_timesteps": 1000}


def scheduler(prediction):
    """The pipeline's DPM++ 2M scheduler. With --zero-snr it rescales the betas to zero terminal
    SNR and spaces the timesteps "trailing", so that sampling starts at t = 999 as training saw it
    (Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed")."""
    from diffusers import DPMSolverMultistepScheduler

    extra = {"timestep_spacing": "trailing"} if SCHEDULE.get("rescale_betas_zero_snr") else {"steps_offset": 1}
    return DPMSolverMultistepScheduler(**SCHEDULE, **extra, prediction_type=prediction)


@torch.no_grad()
def evaluate(unet, te, tok, std, prediction, steps=12, guidance=5.0):
    """Samples the held-out prompts of demo_data.test_prompts (12 DPM++ 2M steps, guidance 5, as
    the Go accuracy test) and reads colour, position and background from the latents, which are
    8x8 block means: a training-time estimate of what internal/demo's accuracy test measures."""
    cases = demo_data.test_prompts()
    palette = {k: np.array(v, float) for k, v in demo_data.COLOURS.items()}
    ids = tok([c["prompt"] for c in cases] + [""], padding="max_length", max_length=77,
              truncation=True, return_tensors="pt").input_ids
    emb = te(ids).last_hidden_state
    cond, uncond = emb[:-1], emb[-1:].expand(len(cases), -1, -1)
    sched = scheduler(prediction)
    sched.set_timesteps(steps)
    x = torch.randn((len(cases), 4, 8, 8), generator=torch.Generator().manual_seed(0))
    for t in sched.timesteps:
        out = unet(torch.cat([x, x]), t, encoder_hidden_states=torch.cat([uncond, cond])).sample
        u, c = out.chunk(2)
        x = sched.step(u + guidance * (c - u), t, x).prev_sample
    rgb = ((x[:, :3] * std + 1) * 127.5).permute(0, 2, 3, 1).numpy()
    hits = np.zeros(3)
    nearest = lambda px: min(palette, key=lambda k: np.linalg.norm(px - palette[k]))  # noqa: E731
    for img, case in zip(rgb, cases):
        border = np.concatenate([img[0], img[-1], img[1:-1, 0], img[1:-1, -1]])
        bg = np.median(border, axis=0)
        d = np.linalg.norm(img - bg, axis=-1)
        ys, xs = np.nonzero(d > 80)
        pos = None
        if len(xs):
            w = d[ys, xs]
            cx, cy = (np.average(xs, weights=w) + 0.5) * 8, (np.average(ys, weights=w) + 0.5) * 8
            cell = (int(cx >= 24) + int(cx >= 40), int(cy >= 24) + int(cy >= 40))
            pos = next(k for k, v in demo_data.POSITIONS.items() if v == cell)
            colour = nearest(img[np.unravel_index(d.argmax(), d.shape)])
        hits += [pos is not None and colour == case["colour"], pos == case["position"],
                 nearest(bg) == case["background"]]
    return hits / len(cases)


def drop_non_finite(path):
    """Removes keys whose value is not finite (lambda_min_clipped: -Infinity is not JSON; diffusers
    uses the same value as default when the key is absent)."""
    with open(path) as f:
        cfg = json.load(f)
    cfg = {k: v for k, v in cfg.items() if not (isinstance(v, float) and not math.isfinite(v))}
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def save(out, vae, unet, te, tok, prediction):
    from diffusers import StableDiffusionPipeline

    sched = scheduler(prediction)
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

    unet, te = make_unet(args.levels), make_text_encoder()
    if args.resume:  # continue from a saved folder (its EMA weights; the optimizer starts afresh)
        from safetensors.torch import load_file

        for model, name, file in ((unet, "unet", "diffusion_pytorch_model.safetensors"),
                                  (te, "text_encoder", "model.safetensors")):
            state = {k: v.float() for k, v in load_file(os.path.join(args.resume, name, file)).items()}
            model.load_state_dict(state)
        log(f, f"resumed from {args.resume}")
    ema_u, ema_t = copy.deepcopy(unet), copy.deepcopy(te)
    sched = DDPMScheduler(**SCHEDULE)
    params = list(unet.parameters()) + list(te.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-2)
    log(f, f"unet params {sum(p.numel() for p in unet.parameters())}, "
           f"text encoder params {sum(p.numel() for p in te.parameters())}")
    g = torch.Generator().manual_seed(1)
    start, step, last_save, run = time.time(), 0, time.time(), 0.0
    while time.time() - start < args.ldm_seconds and (args.steps == 0 or step < args.steps):
        idx = torch.randint(0, lat.shape[0], (args.batch,), generator=g)
        x0, tid = lat[idx], ids[idx]
        noise = torch.randn(x0.shape, generator=g)
        noise += 0.1 * torch.randn(x0.shape[0], x0.shape[1], 1, 1, generator=g)
        # t ~ 1000 u^p: p < 1 visits the noisy steps, where the layout is decided, more often
        u = torch.rand(args.batch, generator=g)
        t = (1000 * u ** args.t_power).long().clamp(max=999) if args.t_power != 1 else \
            torch.randint(0, 1000, (args.batch,), generator=g)
        xt = sched.add_noise(x0, noise, t)
        cond = te(tid).last_hidden_state
        pred = unet(xt, t, encoder_hidden_states=cond).sample
        w = loss_weights(sched, t, args.prediction)
        err = (pred - target(sched, x0, noise, t, args.prediction)) ** 2
        loss = (w * err.mean(dim=(1, 2, 3))).mean()
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
            save(out, vae, ema_u, ema_t, tok, args.prediction)
            acc = evaluate(ema_u, ema_t, tok, args.std, args.prediction)
            log(f, f"snapshot at step {step}; held-out prompts, from the latents: colour {acc[0]:.0%}, "
                   f"position {acc[1]:.0%}, background {acc[2]:.0%}")
            last_save = time.time()
    save(out, vae, ema_u, ema_t, tok, args.prediction)
    return step, ema_u, ema_t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default="internal/demo/shapes-sd")
    ap.add_argument("--minutes", type=float, default=58)
    ap.add_argument("--decoder-minutes", type=float, default=10)
    ap.add_argument("--pool", type=int, default=12000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--snapshot-minutes", type=float, default=5)
    ap.add_argument("--t-power", type=float, default=1.0, help="timesteps drawn as 1000 u^p (1: uniform)")
    ap.add_argument("--prediction", default="v_prediction", choices=["epsilon", "v_prediction"])
    ap.add_argument("--levels", type=int, default=2, choices=[2, 3], help="UNet resolution levels")
    ap.add_argument("--zero-snr", action="store_true",
                    help="betas rescaled to zero terminal SNR (needs v_prediction): at t = 999 the noisy "
                         "latents hold nothing of the image, so the layout can only come from the caption")
    ap.add_argument("--steps", type=int, default=0, help="stop the UNet phase after this many steps (0: by time)")
    ap.add_argument("--resume", default="", help="a folder this script saved: train its UNet and text encoder further")
    args = ap.parse_args()
    if args.zero_snr:
        if args.prediction != "v_prediction":
            ap.error("--zero-snr needs --prediction v_prediction")
        SCHEDULE["rescale_betas_zero_snr"] = True
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    from transformers import CLIPTokenizer

    tok = CLIPTokenizer.from_pretrained(TOKENIZER)
    rng = np.random.default_rng(0)
    t0 = time.time()
    logpath = os.path.join(os.path.dirname(os.path.abspath(args.out)), "train_log.txt")
    os.makedirs(os.path.dirname(logpath), exist_ok=True)
    with open(logpath, "a" if args.resume else "w") as f:
        log(f, f"args {vars(args)}")
        vae = make_vae()
        set_passthrough_vae(vae)
        vae.eval().requires_grad_(False)
        x, _ = batch_images(rng, 16)
        with torch.no_grad():
            z = vae.encode(x).latent_dist.mode()
            err_enc = (z - block_means(x)).abs().max().item()
            up = F.interpolate(block_means(x)[:, :3], scale_factor=8, mode="nearest")
            err_dec = (vae.decode(z).sample - up).abs().max().item()
        log(f, f"vae params {sum(p.numel() for p in vae.parameters())}; pass-through check: "
               f"encoder {err_enc:.2e}, decoder {err_dec:.2e}")
        assert err_enc < 1e-3 and err_dec < 0.05, (err_enc, err_dec)
        lat, ids = make_pool(tok, rng, args.pool)
        std = lat.std().item()
        vae.register_to_config(scaling_factor=round(1.0 / std, 5))
        lat = lat / std
        args.std = std
        log(f, f"pool {lat.shape[0]} latents, std {std:.4f}, mean {lat.mean().item():.4f} (scaled); "
               f"{time.time() - t0:.0f}s so far")
        args.ldm_seconds = (args.minutes - args.decoder_minutes) * 60 - (time.time() - t0)
        args.snapshot_seconds = args.snapshot_minutes * 60
        steps, ema_u, ema_t = train_ldm(vae, lat, ids, args, f, args.out, tok)
        log(f, f"ldm {steps} steps; {(time.time() - t0) / 60:.1f} min so far")
        steps = train_decoder(vae, rng, min(args.decoder_minutes * 60, args.minutes * 60 - (time.time() - t0)), f)
        save(args.out, vae, ema_u, ema_t, tok, args.prediction)
        log(f, f"done: decoder {steps} steps, wall time {(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
