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
import singlefile_verified as sv

OUT = os.path.join("models", "singlefile", "configs")

SD_NAMES = ["text_encoder", "tokenizer", "unet", "vae"]

# The reference repositories of hub_configs.py that single files are detected as.
HUB_REPOS = ["runwayml--stable-diffusion-v1-5", "runwayml--stable-diffusion-inpainting",
             "stabilityai--stable-diffusion-2-1", "stabilityai--stable-diffusion-xl-base-1.0",
             "stabilityai--stable-diffusion-xl-refiner-1.0"]


def sd21_base():
    """stabilityai/stable-diffusion-2-1-base: SD 2.1's files with the values that differ (see
    singlefile_verified.py), a PNDMScheduler predicting epsilon."""
    base = hc.REPOS["stabilityai--stable-diffusion-2-1"]
    d = copy.deepcopy(base)
    d["model_index.json"] = hc.index("StableDiffusionPipeline", "0.10.0.dev0",
                                     hc.comps(hc.SD_NAMES, "PNDMScheduler", safety_checker=[None, None]),
                                     requires_safety_checker=False)
    d["unet/config.json"] = dict(base["unet/config.json"], **sv.SD21_BASE_UNET)
    d["vae/config.json"] = dict(base["vae/config.json"], **sv.SD21_BASE_VAE)
    d["scheduler/scheduler_config.json"] = hc.scheduler("PNDMScheduler", "0.10.0.dev0", prediction_type="epsilon")
    return d


def extra_repos():
    sd2 = hc.REPOS["stabilityai--stable-diffusion-2-1"]
    sd2_inpaint = dict(copy.deepcopy(sv.SD2_INPAINT))
    sd2_inpaint["tokenizer/"] = {
        "tokenizer_config.json": sv.SD2_INPAINT_TOKENIZER_CONFIG,
        "special_tokens_map.json": copy.deepcopy(sd2["tokenizer/"]["special_tokens_map.json"]),
    }
    xl = hc.REPOS["stabilityai--stable-diffusion-xl-base-1.0"]
    xl_inpaint = dict(copy.deepcopy(sv.SDXL_INPAINT))
    for tok in ("tokenizer/", "tokenizer_2/"):
        xl_inpaint[tok] = copy.deepcopy(xl[tok])
    return {
        "stabilityai--stable-diffusion-2-1-base": sd21_base(),
        "stabilityai--stable-diffusion-2-inpainting": sd2_inpaint,
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
    repos = {name: hc.REPOS[name] for name in HUB_REPOS}
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
