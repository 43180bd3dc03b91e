"""Goldens for schedulers/lcm.go: diffusers' LCMScheduler on the LCM_Dreamshaper_v7 scheduler config.

Run from the repository root: tools/reference/.venv/bin/python tools/reference/golden_lcm_scheduler.py
Writes testdata/golden/sched_lcm.json (cases: config, set_timesteps arguments, timesteps per step count or
the error diffusers raises) and testdata/golden/sched_lcm.safetensors (the model outputs fed in, 10-step
trajectories, img2img add_noise results and the steps after them).
"""
import copy
import json
import os

import numpy as np
import torch
from diffusers import LCMScheduler
from safetensors.torch import save_file

torch.set_num_threads(1)
OUT = "testdata/golden"
SHAPE = (1, 4, 8, 8)
TRAJ_STEPS = 10
STEP_COUNTS = [1, 2, 3, 4, 8, 25, 50, 51]

# SimianLuo/LCM_Dreamshaper_v7 scheduler/scheduler_config.json
LCM = {"_class_name": "LCMScheduler", "_diffusers_version": "0.22.0.dev0", "beta_end": 0.012,
       "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False, "clip_sample_range": 1.0,
       "dynamic_thresholding_ratio": 0.995, "num_train_timesteps": 1000, "original_inference_steps": 50,
       "prediction_type": "epsilon", "rescale_betas_zero_snr": False, "sample_max_value": 1.0,
       "set_alpha_to_one": True, "steps_offset": 1, "thresholding": False, "timestep_scaling": 10.0,
       "timestep_spacing": "leading", "trained_betas": None}

# name, config overrides, set_timesteps kwargs (besides the step count)
CASES = [
    ("lcm", {}, {}),
    ("lcm_orig100", {"original_inference_steps": 100}, {}),
    ("lcm_kw_orig20", {}, {"original_inference_steps": 20}),
    ("lcm_vpred_clip", {"prediction_type": "v_prediction", "clip_sample": True, "clip_sample_range": 1.5}, {}),
    ("lcm_sample_noalpha1", {"prediction_type": "sample", "set_alpha_to_one": False, "timestep_scaling": 5.0}, {}),
    ("lcm_linear", {"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02}, {}),
    ("lcm_strength05", {}, {"strength": 0.5}),
    ("lcm_strength03", {}, {"strength": 0.3}),
    ("lcm_strength005", {}, {"strength": 0.05}),
    ("lcm_custom", {}, {"timesteps": [999, 759, 499, 259]}),
    ("lcm_custom_strength", {}, {"timesteps": [999, 879, 759, 639, 499, 379, 259, 139, 59, 19], "strength": 0.6}),
]


def f64list(t):
    return [float(x) for x in np.asarray(t, dtype=np.float64).ravel()]


def set_ts(s, n, kw):
    kw = dict(kw)
    if "timesteps" in kw:
        s.set_timesteps(**kw)
    else:
        s.set_timesteps(n, **kw)


def model(outputs, i, inp):
    return outputs[i] + 0.1 * inp


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors = {}
    outputs = torch.randn((TRAJ_STEPS + 2,) + SHAPE, generator=torch.Generator().manual_seed(1000))
    tensors["model_outputs"] = outputs
    x0 = torch.randn(SHAPE, generator=torch.Generator().manual_seed(11))
    noise = torch.randn(SHAPE, generator=torch.Generator().manual_seed(12))
    tensors["x0"], tensors["noise"] = x0, noise
    cases = []
    for name, over, kw in CASES:
        cfg = copy.deepcopy(LCM)
        cfg.update(over)
        entry = {"name": name, "config": cfg, "options": kw, "steps": []}
        for n in STEP_COUNTS:
            s = LCMScheduler.from_config(cfg)
            rec = {"n": n}
            try:
                set_ts(s, n, kw)
                rec["timesteps"] = f64list(s.timesteps)
                rec["num_inference_steps"] = int(s.num_inference_steps)
            except ValueError as e:
                rec["error"] = str(e)
            entry["steps"].append(rec)
            if "timesteps" in kw:
                break
        # trajectory: from pure noise (t2i) or from x0 noised to the first timestep (strength < 1)
        n = 4 if "strength" in kw or "timesteps" in kw else TRAJ_STEPS
        s = LCMScheduler.from_config(cfg)
        try:
            set_ts(s, n, kw)
        except ValueError as e:
            entry["traj_error"] = str(e)
            cases.append(entry)
            continue
        entry["traj_steps"] = n
        if "strength" in kw:
            lat = s.add_noise(x0, noise, s.timesteps[:1])
            tensors[name + "_noisy"] = lat
        else:
            lat = torch.randn(SHAPE, generator=torch.Generator().manual_seed(7)) * s.init_noise_sigma
        gen = torch.Generator().manual_seed(123)
        traj, den = [], []
        for i, t in enumerate(s.timesteps):
            inp = s.scale_model_input(lat, t)
            lat, d = s.step(model(outputs, i, inp), t, lat, generator=gen, return_dict=False)
            traj.append(lat.clone())
            den.append(d.clone())
        tensors[name + "_traj"] = torch.stack(traj)
        tensors[name + "_denoised"] = torch.stack(den)
        cases.append(entry)
    with open(os.path.join(OUT, "sched_lcm.json"), "w") as f:
        json.dump({"shape": list(SHAPE), "cases": cases}, f, indent=1)
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(OUT, "sched_lcm.safetensors"))


if __name__ == "__main__":
    main()
