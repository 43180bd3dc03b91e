"""diffusers counterpart of tools/pipebench: text-to-image phase timings and
peak RSS on the CPU, fp32, 2 threads.

    tools/reference/.venv/bin/python tools/reference/bench_pipeline.py testdata/fullsize/sd15 20 512
    tools/reference/.venv/bin/python tools/reference/bench_pipeline.py testdata/fullsize/sdxl 1 1024 sdxl fp16 latent
    tools/reference/.venv/bin/python tools/reference/bench_pipeline.py testdata/fullsize/sd-turbo 1 512 guidance=0 vae=testdata/fullsize/taesd

Flags after the size: sdxl, fp16, latent, guidance=G (guidance_scale; default the pipeline's),
vae=DIR (an AutoencoderTiny or AutoencoderKL folder replacing the checkpoint's VAE, as
pipe.vae = AutoencoderTiny.from_pretrained(DIR)), out=PATH (save the image as PNG: the same
prompt and seed as tools/pipebench, whose -out writes its own; tools/reference/compare_png.py
compares the two).
"""
import resource
import sys
import time

import torch
import diffusers
from diffusers import AutoPipelineForText2Image


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else "testdata/fullsize/sd15"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    flags = sys.argv[4:]
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    kw = dict(variant="fp16") if "fp16" in flags else {}
    if "sdxl" not in flags:
        kw.update(safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    opt = dict(f.split("=", 1) for f in flags if "=" in f)
    if "vae" in opt:
        import json
        with open(opt["vae"] + "/config.json") as f:
            cls = getattr(diffusers, json.load(f)["_class_name"])
        kw["vae"] = cls.from_pretrained(opt["vae"], torch_dtype=torch.float32)
    pipe = AutoPipelineForText2Image.from_pretrained(model, torch_dtype=torch.float32, **kw)
    pipe.set_progress_bar_config(disable=True)
    load = time.perf_counter() - t0
    if steps == 0:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"py  {type(pipe).__name__}  load {load:.2f}s  peak RSS {rss:.0f} MB")
        return
    times = {}

    def timed(name, fn):
        def wrapper(*a, **k):
            s = time.perf_counter()
            r = fn(*a, **k)
            times[name] = times.get(name, 0) + time.perf_counter() - s
            return r
        return wrapper

    pipe.encode_prompt = timed("encode", pipe.encode_prompt)
    pipe.vae.decode = timed("decode", pipe.vae.decode)
    pipe.unet.forward = timed("unet", pipe.unet.forward)
    g = torch.Generator("cpu").manual_seed(0)
    t1 = time.perf_counter()
    with torch.no_grad():
        call = {"guidance_scale": float(opt["guidance"])} if "guidance" in opt else {}
        res = pipe(prompt="a photo of an astronaut riding a horse on mars", num_inference_steps=steps, height=size, width=size, generator=g,
                   output_type="latent" if "latent" in flags else "pil", **call)
    total = time.perf_counter() - t1
    if "out" in opt:
        res.images[0].save(opt["out"])  # out=PATH: the image, to compare with pipebench -out
    n = len(pipe.scheduler.timesteps)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"py  {type(pipe).__name__}  {size}x{size}  {steps} steps ({n} UNet calls)  vae {type(pipe.vae).__name__}  torch {torch.__version__} threads {torch.get_num_threads()}")
    print(f"py  load {load:.2f}s  encode {times['encode']:.2f}s  denoise(unet) {times['unet']:.2f}s ({times['unet']/n:.2f}s/step)  "
          f"decode {times.get('decode', 0):.2f}s  total {total:.2f}s  peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
