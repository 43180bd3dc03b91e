"""Golden for a scheduler config as diffusers saves it, with -Infinity.

DPMSolverMultistepScheduler's default lambda_min_clipped is -inf, and
save_config writes it as Python's json does: "lambda_min_clipped": -Infinity.
This writes such a scheduler folder and, for it, the timesteps, sigmas and a
10-step trajectory on a deterministic sample and model output (formulas
mirrored in schedulers/pyjson_test.go).

Usage: python golden_pyjson.py  (writes testdata/golden/pyjson/)
"""
import json
import math
import os

import torch
from diffusers import DPMSolverMultistepScheduler

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "golden", "pyjson")
SHAPE = (1, 4, 4, 4)


def sample_at(i):
    return math.cos(0.05 * i) - 0.5


def model_output(t, i):
    return math.sin(0.37 * i + t / 100.0)


def trajectory(s, steps):
    s.set_timesteps(steps)
    n = math.prod(SHAPE)
    x = torch.tensor([sample_at(i) for i in range(n)], dtype=torch.float32).reshape(SHAPE)
    x = x * s.init_noise_sigma
    for t in s.timesteps:
        eps = torch.tensor([model_output(float(t), i) for i in range(n)], dtype=torch.float32).reshape(SHAPE)
        x = s.step(eps, t, x).prev_sample
    return x.flatten().tolist()


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = []
    for name, kw in [("default", {}), ("karras-order3", {"use_karras_sigmas": True, "algorithm_type": "dpmsolver++", "solver_order": 3})]:
        sched = DPMSolverMultistepScheduler(**kw)
        folder = os.path.join(OUT, name)
        sched.save_config(folder)
        with open(os.path.join(folder, "scheduler_config.json")) as f:
            assert "-Infinity" in f.read(), "diffusers no longer writes -Infinity"
        loaded = DPMSolverMultistepScheduler.from_pretrained(folder)
        assert loaded.config.lambda_min_clipped == -math.inf
        loaded.set_timesteps(10)
        cases.append({
            "name": name,
            "timesteps": [float(t) for t in loaded.timesteps],
            "sigmas": [float(v) for v in loaded.sigmas],
            "final": trajectory(DPMSolverMultistepScheduler.from_pretrained(folder), 10),
        })
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump({"shape": SHAPE, "cases": cases}, f)


if __name__ == "__main__":
    main()
