"""Goldens for schedulers/: diffusers schedulers on real SD 1.5 / SD 2.1 / SDXL scheduler configs.

Run from the repository root: tools/reference/.venv/bin/python tools/reference/golden_schedulers.py
Writes testdata/golden/sched_diffusers.json (cases: config, timesteps, sigmas, init_noise_sigma per step
count, strength cut-offs) and testdata/golden/sched_diffusers.safetensors (model outputs fed in, the
10-step trajectories, add_noise results and 3 steps after each strength cut).
"""
import copy
import inspect
import json
import os

import numpy as np
import scipy  # LMSDiscreteScheduler needs it (pip install scipy==1.17.1)
import torch
import diffusers
from diffusers import (DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler,
                       EulerDiscreteScheduler, HeunDiscreteScheduler, LMSDiscreteScheduler, PNDMScheduler,
                       UniPCMultistepScheduler)
from safetensors.torch import save_file

torch.set_num_threads(1)
OUT = "testdata/golden"
SHAPE = (1, 4, 8, 8)
TRAJ_STEPS = 10
STEP_COUNTS = [1, 4, 25, 50]
STRENGTHS = [0.3, 0.5, 0.75, 1.0]

# scheduler_config.json of the Hub checkpoints, as published.
SD15 = {"_class_name": "PNDMScheduler", "_diffusers_version": "0.6.0", "beta_end": 0.012,
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "num_train_timesteps": 1000,
        "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None,
        "clip_sample": False}
SD21 = {"_class_name": "DDIMScheduler", "_diffusers_version": "0.8.0", "beta_end": 0.012,
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False,
        "num_train_timesteps": 1000, "prediction_type": "v_prediction", "set_alpha_to_one": False,
        "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None}
SDXL = {"_class_name": "EulerDiscreteScheduler", "_diffusers_version": "0.19.0.dev0", "beta_end": 0.012,
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False,
        "interpolation_type": "linear", "num_train_timesteps": 1000, "prediction_type": "epsilon",
        "sample_max_value": 1.0, "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1,
        "timestep_spacing": "leading", "trained_betas": None, "use_karras_sigmas": False}
BASES = {"sd15": SD15, "sd21": SD21, "sdxl": SDXL}

CLASSES = [PNDMScheduler, DDIMScheduler, EulerDiscreteScheduler, EulerAncestralDiscreteScheduler,
           DPMSolverMultistepScheduler, LMSDiscreteScheduler, HeunDiscreteScheduler, UniPCMultistepScheduler,
           DDPMScheduler]
SHORT = {PNDMScheduler: "pndm", DDIMScheduler: "ddim", EulerDiscreteScheduler: "euler",
         EulerAncestralDiscreteScheduler: "eulera", DPMSolverMultistepScheduler: "dpm",
         LMSDiscreteScheduler: "lms", HeunDiscreteScheduler: "heun", UniPCMultistepScheduler: "unipc",
         DDPMScheduler: "ddpm"}


def cases():
    out = []
    for bname, base in BASES.items():
        for cls in CLASSES:
            out.append(("%s_%s" % (SHORT[cls], bname), cls, base, {}, {}))
    v = [
        ("pndm_prk_sd15", PNDMScheduler, SD15, {"skip_prk_steps": False}, {}),
        ("pndm_prk_linspace_sd21", PNDMScheduler, SD21, {"skip_prk_steps": False, "timestep_spacing": "linspace"}, {}),
        ("pndm_trailing_sd15", PNDMScheduler, SD15, {"timestep_spacing": "trailing"}, {}),
        ("ddim_eta1_sd15", DDIMScheduler, SD15, {}, {"eta": 1.0}),
        ("ddim_eta05_clip_sd15", DDIMScheduler, SD15, {"clip_sample": True, "set_alpha_to_one": True}, {"eta": 0.5}),
        ("ddim_zsnr_trailing_sd21", DDIMScheduler, SD21, {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing"}, {}),
        ("ddim_linspace_sample_sd15", DDIMScheduler, SD15, {"timestep_spacing": "linspace", "prediction_type": "sample"}, {}),
        ("ddim_linear_sd15", DDIMScheduler, SD15, {"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02}, {}),
        ("euler_karras_sdxl", EulerDiscreteScheduler, SDXL, {"use_karras_sigmas": True}, {}),
        ("euler_karras_sigmamin_sdxl", EulerDiscreteScheduler, SDXL, {"use_karras_sigmas": True, "final_sigmas_type": "sigma_min"}, {}),
        ("euler_exp_sd15", EulerDiscreteScheduler, SD15, {"use_exponential_sigmas": True}, {}),
        ("euler_trailing_sdxl", EulerDiscreteScheduler, SDXL, {"timestep_spacing": "trailing"}, {}),
        ("euler_zsnr_trailing_sd21", EulerDiscreteScheduler, SD21, {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing"}, {}),
        ("euler_continuous_sd21", EulerDiscreteScheduler, SD21, {"timestep_type": "continuous"}, {}),
        ("euler_custom_ts_sdxl", EulerDiscreteScheduler, SDXL, {}, {"timesteps": [999, 850, 736, 645, 545, 455, 343, 233, 124, 24]}),
        ("euler_custom_sigmas_sdxl", EulerDiscreteScheduler, SDXL, {}, {"sigmas": [14.6, 9.0, 6.0, 4.0, 2.5, 1.5, 0.9, 0.5, 0.25, 0.1, 0.0]}),
        ("eulera_trailing_sdxl", EulerAncestralDiscreteScheduler, SDXL, {"timestep_spacing": "trailing"}, {}),
        ("dpm_karras_sdxl", DPMSolverMultistepScheduler, SDXL, {"use_karras_sigmas": True}, {}),
        ("dpm_sde_karras_sdxl", DPMSolverMultistepScheduler, SDXL, {"use_karras_sigmas": True, "algorithm_type": "sde-dpmsolver++"}, {}),
        ("dpm_sde_sd15", DPMSolverMultistepScheduler, SD15, {"algorithm_type": "sde-dpmsolver", "final_sigmas_type": "sigma_min"}, {}),
        ("dpm_order3_sd15", DPMSolverMultistepScheduler, SD15, {"solver_order": 3}, {}),
        ("dpm_heun_sd21", DPMSolverMultistepScheduler, SD21, {"solver_type": "heun"}, {}),
        ("dpm_dpmsolver_sigmamin_sd15", DPMSolverMultistepScheduler, SD15, {"algorithm_type": "dpmsolver", "final_sigmas_type": "sigma_min"}, {}),
        ("dpm_nolof_sd15", DPMSolverMultistepScheduler, SD15, {"lower_order_final": False, "final_sigmas_type": "sigma_min"}, {}),
        ("dpm_euler_final_sd15", DPMSolverMultistepScheduler, SD15, {"euler_at_final": True, "final_sigmas_type": "sigma_min"}, {}),
        ("dpm_exp_sd15", DPMSolverMultistepScheduler, SD15, {"use_exponential_sigmas": True}, {}),
        ("dpm_cos_karras_sd15", DPMSolverMultistepScheduler, SD15, {"beta_schedule": "squaredcos_cap_v2", "use_karras_sigmas": True}, {}),
        ("dpm_lambda_clip_sd15", DPMSolverMultistepScheduler, SD15, {"lambda_min_clipped": -5.1}, {}),
        ("dpm_custom_ts_sd15", DPMSolverMultistepScheduler, SD15, {}, {"timesteps": [999, 850, 736, 645, 545, 455, 343, 233, 124, 24]}),
        ("dpm_zsnr_trailing_sd21", DPMSolverMultistepScheduler, SD21, {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing"}, {}),
        ("lms_karras_sd15", LMSDiscreteScheduler, SD15, {"use_karras_sigmas": True}, {}),
        ("heun_karras_sdxl", HeunDiscreteScheduler, SDXL, {"use_karras_sigmas": True}, {}),
        ("heun_vpred_clip_sd21", HeunDiscreteScheduler, SD21, {"clip_sample": True}, {}),
        ("unipc_bh1_sd15", UniPCMultistepScheduler, SD15, {"solver_type": "bh1"}, {}),
        ("unipc_order3_sd15", UniPCMultistepScheduler, SD15, {"solver_order": 3}, {}),
        ("unipc_karras_sdxl", UniPCMultistepScheduler, SDXL, {"use_karras_sigmas": True}, {}),
        ("unipc_noncorr_sd21", UniPCMultistepScheduler, SD21, {"disable_corrector": [0, 2]}, {}),
        ("unipc_eps_sd15", UniPCMultistepScheduler, SD15, {"predict_x0": False, "solver_order": 3}, {}),
        ("ddpm_large_sd15", DDPMScheduler, SD15, {"variance_type": "fixed_large"}, {}),
        ("ddpm_smalllog_cos_sd15", DDPMScheduler, SD15, {"variance_type": "fixed_small_log", "beta_schedule": "squaredcos_cap_v2"}, {}),
        ("ddpm_custom_ts_sd15", DDPMScheduler, SD15, {}, {"timesteps": [999, 850, 736, 645, 545, 455, 343, 233, 124, 24]}),
    ]
    return out + v


def f32list(t):
    return [float(x) for x in np.asarray(t, dtype=np.float64).ravel()]


def accepts(fn, name):
    return name in inspect.signature(fn).parameters


def set_ts(s, steps, extra):
    if "timesteps" in extra:
        s.set_timesteps(timesteps=extra["timesteps"])
    elif "sigmas" in extra:
        s.set_timesteps(sigmas=extra["sigmas"])
    else:
        s.set_timesteps(steps)


def step(s, out, t, latents, gen, extra):
    kw = {}
    if accepts(s.step, "generator"):
        kw["generator"] = gen
    if "eta" in extra and accepts(s.step, "eta"):
        kw["eta"] = extra["eta"]
    return s.step(out, t, latents, **kw).prev_sample


def model(outputs, i, inp):
    return outputs[i] + 0.1 * inp


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors = {}
    outputs = torch.randn((2 * TRAJ_STEPS + 2,) + SHAPE, generator=torch.Generator().manual_seed(1000))
    tensors["model_outputs"] = outputs
    x0 = torch.randn(SHAPE, generator=torch.Generator().manual_seed(11))
    noise = torch.randn(SHAPE, generator=torch.Generator().manual_seed(12))
    tensors["x0"] = x0
    tensors["noise"] = noise
    manifest_cases = []
    for name, cls, base, over, extra in cases():
        cfg = copy.deepcopy(base)
        cfg.update(over)
        entry = {"name": name, "class": cls.__name__, "config": cfg, "options": extra, "steps": []}
        for n in STEP_COUNTS:
            s = cls.from_config(cfg)
            rec = {"n": n}
            try:
                set_ts(s, n, extra)
                rec["timesteps"] = f32list(s.timesteps)
                rec["sigmas"] = f32list(s.sigmas) if hasattr(s, "sigmas") and not isinstance(s, (DDIMScheduler, DDPMScheduler, PNDMScheduler)) else None
                rec["init_noise_sigma"] = float(s.init_noise_sigma)
            except Exception as e:  # noqa: BLE001 - recorded; the Go side must fail too
                rec["error"] = "%s: %s" % (type(e).__name__, e)
            entry["steps"].append(rec)
            if "timesteps" in extra or "sigmas" in extra:
                break
        # 10-step trajectory
        s = cls.from_config(cfg)
        set_ts(s, TRAJ_STEPS, extra)
        gen = torch.Generator().manual_seed(123)
        latents = torch.randn(SHAPE, generator=torch.Generator().manual_seed(7)) * s.init_noise_sigma
        traj = []
        entry["traj_timesteps"] = f32list(s.timesteps)
        try:
            for i, t in enumerate(s.timesteps):
                inp = s.scale_model_input(latents, t)
                latents = step(s, model(outputs, i, inp), t, latents, gen, extra)
                traj.append(latents.clone())
            tensors[name + "_traj"] = torch.stack(traj)
        except Exception as e:  # noqa: BLE001 - a diffusers failure is recorded, not reproduced
            entry["traj_error"] = "%s: %s" % (type(e).__name__, e)
            print(name, entry["traj_error"], entry["traj_timesteps"])
        # strength cut-offs (img2img get_timesteps), add_noise and three steps after the cut
        entry["strengths"] = []
        if not ("timesteps" in extra or "sigmas" in extra):
            for k, strength in enumerate(STRENGTHS):
                s = cls.from_config(cfg)
                steps = 25
                s.set_timesteps(steps)
                init_t = min(int(steps * strength), steps)
                t_start = max(steps - init_t, 0)
                ts = s.timesteps[t_start * s.order:]
                if hasattr(s, "set_begin_index"):
                    s.set_begin_index(t_start * s.order)
                if len(ts) == 0:
                    continue
                latent_t = ts[:1]
                noisy = s.add_noise(x0, noise, latent_t)
                gen = torch.Generator().manual_seed(321)
                lat = noisy
                for i, t in enumerate(ts[:3]):
                    inp = s.scale_model_input(lat, t)
                    lat = step(s, model(outputs, i, inp), t, lat, gen, extra)
                key = "%s_s%d" % (name, k)
                tensors[key + "_noisy"] = noisy
                tensors[key + "_after3"] = lat
                entry["strengths"].append({"strength": strength, "steps": steps, "timesteps": f32list(ts),
                                           "num_steps": steps - t_start, "key": key})
        manifest_cases.append(entry)
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(OUT, "sched_diffusers.safetensors"))
    manifest = {
        "description": "diffusers schedulers from SD1.5/SD2.1/SDXL scheduler configs: timesteps/sigmas for "
                       "1/4/25/50 steps; 10-step trajectories with model_output = model_outputs[i] + 0.1*scaled_input, "
                       "latents = randn(seed 7)*init_noise_sigma, scheduler noise from Generator seed 123; img2img "
                       "strength cuts at 25 steps with add_noise(x0, noise, t0) and 3 steps after (generator seed 321)",
        "torch": torch.__version__, "diffusers": diffusers.__version__, "numpy": np.__version__,
        "scipy": scipy.__version__, "shape": list(SHAPE),
        "cases": manifest_cases,
    }
    with open(os.path.join(OUT, "sched_diffusers.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
