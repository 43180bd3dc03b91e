"""Safety checker goldens: CLIPImageProcessor pixel values and
StableDiffusionSafetyChecker flags on testdata/tiny-sd, with the checkpoint's
thresholds and with thresholds lowered so that some concepts fire."""
import json

import diffusers
import numpy as np
import torch
import transformers
from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
from PIL import Image
from safetensors.torch import save_file
from transformers import CLIPImageProcessor

OUT = "testdata/golden"


def main():
    torch.set_num_threads(2)
    fe = CLIPImageProcessor.from_pretrained("testdata/tiny-sd/feature_extractor")
    sc = StableDiffusionSafetyChecker.from_pretrained("testdata/tiny-sd/safety_checker").eval()
    rng = np.random.default_rng(3)
    imgs = [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for (w, h) in [(64, 64), (64, 64), (80, 48)]]
    for i, im in enumerate(imgs):
        im.save(f"{OUT}/safety_in_{i}.png")
    px = fe(imgs, return_tensors="pt").pixel_values
    res = {"pixel_values": px.float().contiguous()}
    meta = {"what": "CLIPImageProcessor + StableDiffusionSafetyChecker on tiny-sd, 3 random images",
            "processor": type(fe).__name__,
            "versions": {"torch": torch.__version__, "diffusers": diffusers.__version__, "transformers": transformers.__version__}}
    with torch.no_grad():
        dummy = torch.zeros(len(imgs), 3, 8, 8)
        _, flags = sc(images=dummy.numpy(), clip_input=px)
        meta["flags"] = [bool(f) for f in flags]
        pooled = sc.vision_model(px)[1]
        emb = sc.visual_projection(pooled)
        res["image_embeds"] = emb.contiguous()
        cos = torch.nn.functional.normalize(emb) @ torch.nn.functional.normalize(sc.concept_embeds).t()
        # lower the concept thresholds to the per-concept median similarity
        thr = cos.median(dim=0).values - 1e-3
        sc.concept_embeds_weights.copy_(thr)
        _, flags2 = sc(images=dummy.numpy(), clip_input=px)
        meta["flags_lowered"] = [bool(f) for f in flags2]
        res["lowered_concept_thresholds"] = thr.contiguous()
    save_file(res, f"{OUT}/safety.safetensors")
    with open(f"{OUT}/safety.json", "w") as f:
        json.dump(meta, f, indent=1)
    print(meta)


if __name__ == "__main__":
    main()
