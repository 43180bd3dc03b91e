"""Writes the reference configs that models/singlefile embeds (run from the repository root).

For each model type diffusers' single_file_utils recognises among SD 1.x, SD 2.x and SDXL, the
configs of its reference Hub repository (DIFFUSERS_DEFAULT_PIPELINE_PATHS): model_index.json and
the component configs, scheduler config and tokenizer configs, without weights, safety checker or
feature extractor (a single-file checkpoint carries neither). The CLIP vocabulary and merges are
stored once, in models/singlefile/configs/clip/ (testdata/clip-tokenizer/sd15 links to them).
"""

import copy
import json
import os
import shutil

import hub_configs as hc

OUT = os.path.join("models", "singlefile", "configs")

SD_NAMES = ["text_encoder", "tokenizer", "unet", "vae"]


def sd2_variant(version, cls, sched, unet_kw, sched_kw):
    base = hc.REPOS["stabilityai--stable-diffusion-2-1"]
    d = copy.deepcopy(base)
    d["model_index.json"] = hc.index(cls, version, hc.comps(hc.SD_NAMES, sched, safety_checker=[None, None]),
                                     requires_safety_checker=False)
    d["unet/config.json"] = dict(base["unet/config.json"], _diffusers_version=version, **unet_kw)
    d["vae/config.json"] = dict(base["vae/config.json"], _diffusers_version=version, sample_size=512)
    d["scheduler/scheduler_config.json"] = hc.scheduler(sched, version, **sched_kw)
    return d


def extra_repos():
    xl = hc.REPOS["stabilityai--stable-diffusion-xl-base-1.0"]
    xl_inpaint = copy.deepcopy(xl)
    xl_inpaint["model_index.json"] = hc.index(
        "StableDiffusionXLInpaintPipeline", "0.21.0.dev0", hc.comps(hc.XL_NAMES, "EulerDiscreteScheduler"),
        force_zeros_for_empty_prompt=True, requires_aesthetics_score=False)
    xl_inpaint["unet/config.json"] = dict(xl["unet/config.json"], in_channels=9, _diffusers_version="0.21.0.dev0")
    return {
        "stabilityai--stable-diffusion-2-1-base": sd2_variant(
            "0.10.0.dev0", "StableDiffusionPipeline", "PNDMScheduler", {"sample_size": 64},
            {"prediction_type": "epsilon"}),
        "stabilityai--stable-diffusion-2-inpainting": sd2_variant(
            "0.10.0.dev0", "StableDiffusionInpaintPipeline", "PNDMScheduler", {"sample_size": 64, "in_channels": 9},
            {"prediction_type": "epsilon"}),
        "diffusers--stable-diffusion-xl-1.0-inpainting-0.1": xl_inpaint,
    }


def without_safety(files):
    out = {}
    for name, obj in files.items():
        if name.startswith(("safety_checker/", "feature_extractor/")):
            continue
        if name == "model_index.json":
            obj = dict(obj)
            for comp in ("safety_checker", "feature_extractor"):
                if comp in obj:
                    obj[comp] = [None, None]
            if "requires_safety_checker" in obj or "safety_checker" in files.get("model_index.json", {}):
                obj["requires_safety_checker"] = False
        out[name] = obj
    return out


def main():
    repos = dict(hc.REPOS)
    repos.update(extra_repos())
    for repo, files in repos.items():
        shutil.rmtree(os.path.join(OUT, repo), ignore_errors=True)
        for name, obj in without_safety(files).items():
            if name.endswith("/"):
                for sub, o in obj.items():
                    hc._write(os.path.join(OUT, repo, name + sub), o)
            else:
                hc._write(os.path.join(OUT, repo, name), obj)
    print(f"wrote {OUT} ({len(repos)} repositories)")


if __name__ == "__main__":
    main()
