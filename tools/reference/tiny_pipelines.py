"""Tiny random-weight pipelines in the Hub layout, built with diffusers'/transformers' own classes.

Configs follow diffusers' fast tests (get_dummy_components). tiny-sd is the main fixture
(block_out_channels (16, 32), norm_num_groups 8, like the other families) to keep
testdata small. Every VAE has the same weights (tiny-sd's): the weight files of the others are
relative symlinks to testdata/tiny-sd/vae/diffusion_pytorch_model.safetensors (as in a Hub cache
snapshot), their config.json files are real (SDXL's differ in scaling_factor, force_upcast).
"""

import json
import os
import shutil

import torch
from diffusers import (
    AutoencoderKL,
    DDIMScheduler,
    EulerDiscreteScheduler,
    PNDMScheduler,
    StableDiffusionInpaintPipeline,
    StableDiffusionPipeline,
    StableDiffusionXLImg2ImgPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
from transformers import (
    CLIPConfig,
    CLIPImageProcessor,
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTextModelWithProjection,
    CLIPTokenizer,
)

import clip_vocab
import tiny_check

TINY_MERGES = 486  # 512 byte tokens + 486 merges + 2 specials = 1000 tokens
TINY_VOCAB = 1000
BOS_ID, EOS_ID = 998, 999

# Real scheduler configs (the same as testdata/configs/*/scheduler/scheduler_config.json).
SD15_SCHEDULER = dict(beta_end=0.012, beta_schedule="scaled_linear", beta_start=0.00085,
                      num_train_timesteps=1000, set_alpha_to_one=False, skip_prk_steps=True,
                      steps_offset=1, trained_betas=None, clip_sample=False)
SD21_SCHEDULER = dict(beta_end=0.012, beta_schedule="scaled_linear", beta_start=0.00085,
                      clip_sample=False, num_train_timesteps=1000, prediction_type="v_prediction",
                      set_alpha_to_one=False, steps_offset=1, trained_betas=None)
SDXL_SCHEDULER = dict(beta_end=0.012, beta_schedule="scaled_linear", beta_start=0.00085,
                      interpolation_type="linear", num_train_timesteps=1000, prediction_type="epsilon",
                      steps_offset=1, timestep_spacing="leading", trained_betas=None,
                      use_karras_sigmas=False)

SD_PREPROCESSOR = {
    "crop_size": 32,
    "do_center_crop": True,
    "do_convert_rgb": True,
    "do_normalize": True,
    "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "resample": 3,
    "size": 32,
}


def seeded(seed, fn, *args, **kw):
    torch.manual_seed(seed)
    return fn(*args, **kw)


def unet(seed, small=True, **kw):
    cfg = dict(
        block_out_channels=(16, 32) if small else (32, 64),
        layers_per_block=2,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=(2, 4),
        norm_num_groups=8 if small else 32,
    )
    cfg.update(kw)
    return seeded(seed, UNet2DConditionModel, **cfg)


def vae(seed):
    return seeded(
        seed,
        AutoencoderKL,
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
        latent_channels=4,
        norm_num_groups=32,
        sample_size=32,
    )


def text_config(hidden_act, pad_token_id=1, **kw):
    return CLIPTextConfig(
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        pad_token_id=pad_token_id,
        hidden_size=32,
        intermediate_size=37,
        layer_norm_eps=1e-5,
        num_attention_heads=4,
        num_hidden_layers=5,
        vocab_size=TINY_VOCAB,
        max_position_embeddings=77,
        hidden_act=hidden_act,
        **kw,
    )


def tiny_tokenizer(tmp_dir, pad, flavor):
    """Writes the truncated-vocabulary tokenizer files to tmp_dir and loads them."""
    vocab, merges = clip_vocab.build(TINY_MERGES)
    assert len(vocab) == TINY_VOCAB and vocab[clip_vocab.BOS] == BOS_ID and vocab[clip_vocab.EOS] == EOS_ID
    clip_vocab.write_tokenizer(tmp_dir, vocab, merges, pad=pad, flavor=flavor)
    tok = CLIPTokenizer.from_pretrained(tmp_dir)
    assert len(tok) == TINY_VOCAB and tok.bos_token_id == BOS_ID and tok.eos_token_id == EOS_ID
    assert tok.model_max_length == 77
    ids = tok("a photo of a cat").input_ids
    assert ids[0] == BOS_ID and ids[-1] == EOS_ID and max(ids) < TINY_VOCAB, ids
    return tok


def safety_checker(seed):
    cfg = CLIPConfig(
        text_config=dict(hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2,
                         vocab_size=TINY_VOCAB, bos_token_id=BOS_ID, eos_token_id=EOS_ID),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2,
                           image_size=32, patch_size=4, hidden_act="quick_gelu"),
        projection_dim=32,
    )
    sc = seeded(seed, StableDiffusionSafetyChecker, cfg)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        # The constructor leaves these as ones; give them distinct values that flag nothing by default
        # (cosine similarities of random 32-d vectors stay well under 0.5).
        sc.concept_embeds.copy_(torch.randn(17, 32, generator=g))
        sc.special_care_embeds.copy_(torch.randn(3, 32, generator=g))
        sc.concept_embeds_weights.copy_(0.5 + 0.1 * torch.rand(17, generator=g))
        sc.special_care_embeds_weights.copy_(0.5 + 0.1 * torch.rand(3, generator=g))
    return sc


def feature_extractor(tmp_dir):
    os.makedirs(tmp_dir, exist_ok=True)
    write_json(os.path.join(tmp_dir, "preprocessor_config.json"), SD_PREPROCESSOR)
    return CLIPImageProcessor.from_pretrained(tmp_dir)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=False)
        f.write("\n")


def finish(out, tokenizers, preprocessor=False):
    """Replaces what save_pretrained wrote for tokenizers/feature extractor with the Hub-style files."""
    vocab, merges = clip_vocab.build(TINY_MERGES)
    for sub, (pad, flavor) in tokenizers.items():
        d = os.path.join(out, sub)
        shutil.rmtree(d)
        clip_vocab.write_tokenizer(d, vocab, merges, pad=pad, flavor=flavor)
    if preprocessor:
        d = os.path.join(out, "feature_extractor")
        shutil.rmtree(d)
        os.makedirs(d)
        write_json(os.path.join(d, "preprocessor_config.json"), SD_PREPROCESSOR)


def link_vae(out, root):
    """Points out/vae's weight file to tiny-sd's (identical bytes checked first)."""
    src = os.path.join(root, "tiny-sd", "vae", "diffusion_pytorch_model.safetensors")
    dst = os.path.join(out, "vae", "diffusion_pytorch_model.safetensors")
    with open(src, "rb") as a, open(dst, "rb") as b:
        assert a.read() == b.read(), "vae weights differ from tiny-sd's"
    os.remove(dst)
    os.symlink(os.path.relpath(src, os.path.dirname(dst)), dst)


def build_sd(root, tmp):
    out = os.path.join(root, "tiny-sd")
    pipe = StableDiffusionPipeline(
        vae=vae(0),
        text_encoder=seeded(2, CLIPTextModel, text_config("quick_gelu")),
        tokenizer=tiny_tokenizer(os.path.join(tmp, "sd-tok"), clip_vocab.EOS, "sd15"),
        unet=unet(1),
        scheduler=PNDMScheduler.from_config(SD15_SCHEDULER),
        safety_checker=safety_checker(3),
        feature_extractor=feature_extractor(os.path.join(tmp, "sd-fe")),
        requires_safety_checker=True,
    )
    pipe.save_pretrained(out, safe_serialization=True)
    finish(out, {"tokenizer": (clip_vocab.EOS, "sd15")}, preprocessor=True)
    return out


def build_sd_inpaint(root, tmp):
    out = os.path.join(root, "tiny-sd-inpaint")
    pipe = StableDiffusionInpaintPipeline(
        vae=vae(0),
        text_encoder=seeded(12, CLIPTextModel, text_config("quick_gelu")),
        tokenizer=tiny_tokenizer(os.path.join(tmp, "sd-tok"), clip_vocab.EOS, "sd15"),
        unet=unet(11, in_channels=9),
        scheduler=DDIMScheduler.from_config(SD15_SCHEDULER),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(out, safe_serialization=True)
    finish(out, {"tokenizer": (clip_vocab.EOS, "sd15")})
    link_vae(out, root)
    return out


def build_sd2(root, tmp):
    out = os.path.join(root, "tiny-sd2")
    pipe = StableDiffusionPipeline(
        vae=vae(0),
        text_encoder=seeded(22, CLIPTextModel, text_config("gelu", projection_dim=512)),
        tokenizer=tiny_tokenizer(os.path.join(tmp, "sd2-tok"), "!", "sdxl"),
        unet=unet(21, use_linear_projection=True, upcast_attention=True),
        scheduler=DDIMScheduler.from_config(SD21_SCHEDULER),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(out, safe_serialization=True)
    finish(out, {"tokenizer": ("!", "sdxl")})
    link_vae(out, root)
    return out


def sdxl_vae():
    v = vae(0)
    v.register_to_config(scaling_factor=0.13025, force_upcast=True, sample_size=128)
    return v


def build_sdxl(root, tmp):
    out = os.path.join(root, "tiny-sdxl")
    xl = dict(use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=8,
              transformer_layers_per_block=(1, 2))
    pipe = StableDiffusionXLPipeline(
        vae=sdxl_vae(),
        text_encoder=seeded(32, CLIPTextModel, text_config("quick_gelu", projection_dim=32)),
        text_encoder_2=seeded(33, CLIPTextModelWithProjection, text_config("gelu", projection_dim=32)),
        tokenizer=tiny_tokenizer(os.path.join(tmp, "xl-tok"), clip_vocab.EOS, "sdxl"),
        tokenizer_2=tiny_tokenizer(os.path.join(tmp, "xl-tok2"), "!", "sdxl"),
        unet=unet(31, cross_attention_dim=64, projection_class_embeddings_input_dim=80, **xl),  # 6*8 + 32
        scheduler=EulerDiscreteScheduler.from_config(SDXL_SCHEDULER),
        force_zeros_for_empty_prompt=True,
    )
    pipe.save_pretrained(out, safe_serialization=True)
    finish(out, {"tokenizer": (clip_vocab.EOS, "sdxl"), "tokenizer_2": ("!", "sdxl")})
    link_vae(out, root)
    return out


def build_sdxl_refiner(root, tmp):
    out = os.path.join(root, "tiny-sdxl-refiner")
    xl = dict(use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=8,
              transformer_layers_per_block=(1, 2))
    pipe = StableDiffusionXLImg2ImgPipeline(
        vae=sdxl_vae(),
        text_encoder=None,
        text_encoder_2=seeded(43, CLIPTextModelWithProjection, text_config("gelu", projection_dim=32)),
        tokenizer=None,
        tokenizer_2=tiny_tokenizer(os.path.join(tmp, "xl-tok2"), "!", "sdxl"),
        unet=unet(41, cross_attention_dim=32, projection_class_embeddings_input_dim=72, **xl),  # 5*8 + 32
        scheduler=EulerDiscreteScheduler.from_config(SDXL_SCHEDULER),
        requires_aesthetics_score=True,
        force_zeros_for_empty_prompt=False,
    )
    pipe.save_pretrained(out, safe_serialization=True)
    finish(out, {"tokenizer_2": ("!", "sdxl")})
    link_vae(out, root)
    return out


def build_unsupported(root, tmp):
    out = os.path.join(root, "tiny-unsupported")
    os.makedirs(out)
    write_json(os.path.join(out, "model_index.json"), {
        "_class_name": "ShapEImg2ImgPipeline",
        "_diffusers_version": "0.17.0.dev0",
        "image_encoder": ["transformers", "CLIPVisionModel"],
        "image_processor": ["transformers", "CLIPImageProcessor"],
        "prior": ["diffusers", "PriorTransformer"],
        "scheduler": ["diffusers", "HeunDiscreteScheduler"],
        "shap_e_renderer": ["shap_e", "ShapERenderer"],
    })
    return out


BUILDERS = [
    ("tiny-sd", build_sd),
    ("tiny-sd-inpaint", build_sd_inpaint),
    ("tiny-sd2", build_sd2),
    ("tiny-sdxl", build_sdxl),
    ("tiny-sdxl-refiner", build_sdxl_refiner),
    ("tiny-unsupported", build_unsupported),
]


def write_all(root):
    tmp = os.path.join(root, ".tiny-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for name, build in BUILDERS:
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
            out = build(root, tmp)
            tiny_check.check(name, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
