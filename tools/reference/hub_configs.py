"""Writes the real Hub config files of the reference checkpoints to testdata/configs/<org>--<name>/.

Written from the published files as known (the Hub is not reachable from here): values that
matter to the port (architecture, scheduler, tokenizer padding) are checked against diffusers'
and transformers' own classes by check_configs.py. Files are written the way diffusers and
transformers write them (indent 2, sorted keys).
"""

import json
import os

import clip_vocab

ROOT = os.path.join("testdata", "configs")

CROSS_DOWN = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"]
CROSS_UP = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]


def sd_unet(version, **kw):
    cfg = {
        "_class_name": "UNet2DConditionModel",
        "_diffusers_version": version,
        "act_fn": "silu",
        "attention_head_dim": 8,
        "block_out_channels": [320, 640, 1280, 1280],
        "center_input_sample": False,
        "cross_attention_dim": 768,
        "down_block_types": CROSS_DOWN,
        "downsample_padding": 1,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": 4,
        "layers_per_block": 2,
        "mid_block_scale_factor": 1,
        "norm_eps": 1e-05,
        "norm_num_groups": 32,
        "out_channels": 4,
        "sample_size": 64,
        "up_block_types": CROSS_UP,
    }
    cfg.update(kw)
    return cfg


def xl_unet(**kw):
    cfg = {
        "_class_name": "UNet2DConditionModel",
        "_diffusers_version": "0.19.0.dev0",
        "act_fn": "silu",
        "addition_embed_type": "text_time",
        "addition_embed_type_num_heads": 64,
        "addition_time_embed_dim": 256,
        "attention_head_dim": [5, 10, 20],
        "block_out_channels": [320, 640, 1280],
        "center_input_sample": False,
        "class_embed_type": None,
        "class_embeddings_concat": False,
        "conv_in_kernel": 3,
        "conv_out_kernel": 3,
        "cross_attention_dim": 2048,
        "cross_attention_norm": None,
        "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
        "downsample_padding": 1,
        "dual_cross_attention": False,
        "encoder_hid_dim": None,
        "encoder_hid_dim_type": None,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": 4,
        "layers_per_block": 2,
        "mid_block_only_cross_attention": None,
        "mid_block_scale_factor": 1,
        "mid_block_type": "UNetMidBlock2DCrossAttn",
        "norm_eps": 1e-05,
        "norm_num_groups": 32,
        "num_attention_heads": None,
        "num_class_embeds": None,
        "only_cross_attention": False,
        "out_channels": 4,
        "projection_class_embeddings_input_dim": 2816,
        "resnet_out_scale_factor": 1.0,
        "resnet_skip_time_act": False,
        "resnet_time_scale_shift": "default",
        "sample_size": 128,
        "time_cond_proj_dim": None,
        "time_embedding_act_fn": None,
        "time_embedding_dim": None,
        "time_embedding_type": "positional",
        "timestep_post_act": None,
        "transformer_layers_per_block": [1, 2, 10],
        "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
        "upcast_attention": None,
        "use_linear_projection": True,
    }
    cfg.update(kw)
    return cfg


def vae(version, sample_size, **kw):
    cfg = {
        "_class_name": "AutoencoderKL",
        "_diffusers_version": version,
        "act_fn": "silu",
        "block_out_channels": [128, 256, 512, 512],
        "down_block_types": ["DownEncoderBlock2D"] * 4,
        "in_channels": 3,
        "latent_channels": 4,
        "layers_per_block": 2,
        "norm_num_groups": 32,
        "out_channels": 3,
        "sample_size": sample_size,
        "up_block_types": ["UpDecoderBlock2D"] * 4,
    }
    cfg.update(kw)
    return cfg


def clip_text(transformers_version, dtype="float32", **kw):
    """CLIP ViT-L/14 text tower by default (SD 1.x, SDXL text_encoder)."""
    cfg = {
        "architectures": ["CLIPTextModel"],
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "dropout": 0.0,
        "eos_token_id": 2,
        "hidden_act": "quick_gelu",
        "hidden_size": 768,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
        "intermediate_size": 3072,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": 77,
        "model_type": "clip_text_model",
        "num_attention_heads": 12,
        "num_hidden_layers": 12,
        "pad_token_id": 1,
        "projection_dim": 768,
        "torch_dtype": dtype,
        "transformers_version": transformers_version,
        "vocab_size": 49408,
    }
    cfg.update(kw)
    return cfg


def bigg_text():
    """OpenCLIP ViT-bigG/14 text tower with projection (SDXL text_encoder_2)."""
    return clip_text(
        "4.32.0.dev0", dtype="float16", architectures=["CLIPTextModelWithProjection"], hidden_act="gelu",
        hidden_size=1280, intermediate_size=5120, num_attention_heads=20, num_hidden_layers=32,
        projection_dim=1280)


def scheduler(cls, version, **kw):
    cfg = {
        "_class_name": cls,
        "_diffusers_version": version,
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "clip_sample": False,
        "num_train_timesteps": 1000,
        "set_alpha_to_one": False,
        "skip_prk_steps": True,
        "steps_offset": 1,
        "trained_betas": None,
    }
    cfg.update(kw)
    return cfg


XL_SCHEDULER = scheduler(
    "EulerDiscreteScheduler", "0.19.0.dev0", interpolation_type="linear", prediction_type="epsilon",
    sample_max_value=1.0, timestep_spacing="leading", use_karras_sigmas=False)


def index(cls, version, components, **extra):
    d = {"_class_name": cls, "_diffusers_version": version}
    d.update(extra)
    d.update(components)
    return d


LIBS = {
    "vae": ["diffusers", "AutoencoderKL"],
    "unet": ["diffusers", "UNet2DConditionModel"],
    "text_encoder": ["transformers", "CLIPTextModel"],
    "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "tokenizer_2": ["transformers", "CLIPTokenizer"],
    "feature_extractor": ["transformers", "CLIPImageProcessor"],
    "safety_checker": ["stable_diffusion", "StableDiffusionSafetyChecker"],
}


def comps(names, sched, **override):
    d = {n: LIBS[n] for n in names}
    d["scheduler"] = ["diffusers", sched]
    d.update(override)
    return d


SD_NAMES = ["feature_extractor", "safety_checker", "text_encoder", "tokenizer", "unet", "vae"]
XL_NAMES = ["text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "unet", "vae"]


def tokenizer_files(pad, flavor):
    return {
        "tokenizer_config.json": clip_vocab.tokenizer_config(pad, flavor),
        "special_tokens_map.json": clip_vocab.special_tokens_map(pad),
    }


def sd21_tokenizer_config():
    # The SD 2.x tokenizer_config.json was written by an older transformers (name_or_path,
    # special_tokens_map_file); its special_tokens_map.json sets pad_token "!", which wins.
    cfg = clip_vocab.tokenizer_config("!", "sd15")
    cfg["name_or_path"] = "hf-models/stable-diffusion-v2-768x768/tokenizer"
    return cfg


REPOS = {
    "runwayml--stable-diffusion-v1-5": {
        "model_index.json": index("StableDiffusionPipeline", "0.6.0", comps(SD_NAMES, "PNDMScheduler")),
        "unet/config.json": sd_unet("0.6.0"),
        "vae/config.json": vae("0.6.0", 512),
        "text_encoder/config.json": dict(clip_text("4.22.0.dev0"), _name_or_path="openai/clip-vit-large-patch14"),
        "scheduler/scheduler_config.json": scheduler("PNDMScheduler", "0.6.0"),
        "tokenizer/": tokenizer_files(clip_vocab.EOS, "sd15"),
    },
    "runwayml--stable-diffusion-inpainting": {
        "model_index.json": index("StableDiffusionInpaintPipeline", "0.6.0.dev0", comps(SD_NAMES, "DDIMScheduler")),
        "unet/config.json": sd_unet("0.6.0.dev0", in_channels=9),
        "vae/config.json": vae("0.6.0.dev0", 512),
        "text_encoder/config.json": dict(clip_text("4.22.0.dev0"), _name_or_path="openai/clip-vit-large-patch14"),
        "scheduler/scheduler_config.json": scheduler("DDIMScheduler", "0.6.0.dev0"),
        "tokenizer/": tokenizer_files(clip_vocab.EOS, "sd15"),
    },
    "stabilityai--stable-diffusion-2-1": {
        "model_index.json": index(
            "StableDiffusionPipeline", "0.10.0.dev0",
            comps(SD_NAMES, "DDIMScheduler", safety_checker=[None, None]), requires_safety_checker=False),
        "unet/config.json": sd_unet(
            "0.10.0.dev0", attention_head_dim=[5, 10, 20, 20], cross_attention_dim=1024, dual_cross_attention=False,
            num_class_embeds=None, only_cross_attention=False, sample_size=96, upcast_attention=True,
            use_linear_projection=True),
        "vae/config.json": vae("0.10.0.dev0", 768),
        "text_encoder/config.json": dict(
            clip_text("4.25.0.dev0", hidden_act="gelu", hidden_size=1024, intermediate_size=4096,
                      num_attention_heads=16, num_hidden_layers=23, projection_dim=512),
            _name_or_path="hf-models/stable-diffusion-v2-768x768/text_encoder"),
        "scheduler/scheduler_config.json": scheduler("DDIMScheduler", "0.10.0.dev0", prediction_type="v_prediction"),
        "tokenizer/": {
            "tokenizer_config.json": sd21_tokenizer_config(),
            "special_tokens_map.json": clip_vocab.special_tokens_map("!"),
        },
    },
    "stabilityai--stable-diffusion-xl-base-1.0": {
        "model_index.json": index(
            "StableDiffusionXLPipeline", "0.19.0.dev0", comps(XL_NAMES, "EulerDiscreteScheduler"),
            force_zeros_for_empty_prompt=True),
        "unet/config.json": xl_unet(),
        "vae/config.json": vae("0.20.0.dev0", 1024, _name_or_path="../sdxl-vae/", force_upcast=True,
                               scaling_factor=0.13025),
        "text_encoder/config.json": clip_text("4.32.0.dev0", dtype="float16"),
        "text_encoder_2/config.json": bigg_text(),
        "scheduler/scheduler_config.json": XL_SCHEDULER,
        "tokenizer/": tokenizer_files(clip_vocab.EOS, "sdxl"),
        "tokenizer_2/": tokenizer_files("!", "sdxl"),
    },
    "stabilityai--stable-diffusion-xl-refiner-1.0": {
        "model_index.json": index(
            "StableDiffusionXLImg2ImgPipeline", "0.19.0.dev0",
            comps(["text_encoder_2", "tokenizer_2", "unet", "vae"], "EulerDiscreteScheduler",
                  text_encoder=[None, None], tokenizer=[None, None]),
            force_zeros_for_empty_prompt=False, requires_aesthetics_score=True),
        "unet/config.json": xl_unet(
            attention_head_dim=[6, 12, 24, 24], block_out_channels=[384, 768, 1536, 1536], cross_attention_dim=1280,
            down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
            projection_class_embeddings_input_dim=2560, transformer_layers_per_block=4,
            up_block_types=["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"]),
        "vae/config.json": vae("0.20.0.dev0", 1024, _name_or_path="../sdxl-vae/", force_upcast=True,
                               scaling_factor=0.13025),
        "text_encoder_2/config.json": bigg_text(),
        "scheduler/scheduler_config.json": XL_SCHEDULER,
        "tokenizer_2/": tokenizer_files("!", "sdxl"),
    },
}


def taesd(version="0.20.0.dev0"):
    """madebyollin/taesd and taesdxl (the same architecture; the weights differ)."""
    return {
        "_class_name": "AutoencoderTiny",
        "_diffusers_version": version,
        "act_fn": "relu",
        "decoder_block_out_channels": [64, 64, 64, 64],
        "encoder_block_out_channels": [64, 64, 64, 64],
        "force_upcast": False,
        "in_channels": 3,
        "latent_channels": 4,
        "latent_magnitude": 3,
        "latent_shift": 0.5,
        "num_decoder_blocks": [3, 3, 3, 1],
        "num_encoder_blocks": [1, 3, 3, 3],
        "out_channels": 3,
        "scaling_factor": 1.0,
        "upsampling_scaling_factor": 2,
    }


SD21_TEXT = dict(hidden_act="gelu", hidden_size=1024, intermediate_size=4096, num_attention_heads=16,
                 num_hidden_layers=23, projection_dim=512)
TURBO_SCHED = dict(interpolation_type="linear", prediction_type="epsilon", sample_max_value=1.0,
                   timestep_spacing="trailing", use_karras_sigmas=False)


def lcm_scheduler():
    cfg = scheduler(
        "LCMScheduler", "0.22.0.dev0", clip_sample_range=1.0, dynamic_thresholding_ratio=0.995,
        original_inference_steps=50, prediction_type="epsilon", rescale_betas_zero_snr=False,
        sample_max_value=1.0, set_alpha_to_one=True, thresholding=False, timestep_scaling=10.0,
        timestep_spacing="leading")
    del cfg["skip_prk_steps"]
    return cfg


def fast_repos():
    """LCM, Turbo, TAESD and SDXS checkpoints (the few-step models)."""
    sd21_unet = dict(attention_head_dim=[5, 10, 20, 20], cross_attention_dim=1024, use_linear_projection=True)
    return {
        "SimianLuo--LCM_Dreamshaper_v7": {
            "model_index.json": index("LatentConsistencyModelPipeline", "0.22.0.dev0", comps(SD_NAMES, "LCMScheduler"),
                                      requires_safety_checker=True),
            "unet/config.json": sd_unet("0.22.0.dev0", time_cond_proj_dim=256),
            "vae/config.json": vae("0.22.0.dev0", 768),
            "text_encoder/config.json": clip_text("4.34.1"),
            "scheduler/scheduler_config.json": lcm_scheduler(),
            "tokenizer/": tokenizer_files(clip_vocab.EOS, "sd15"),
        },
        "stabilityai--sd-turbo": {
            "model_index.json": index(
                "StableDiffusionPipeline", "0.24.0.dev0",
                comps(SD_NAMES, "EulerDiscreteScheduler", safety_checker=[None, None], feature_extractor=[None, None]),
                requires_safety_checker=False),
            "unet/config.json": sd_unet("0.24.0.dev0", **sd21_unet),
            "vae/config.json": vae("0.24.0.dev0", 768),
            "text_encoder/config.json": clip_text("4.35.0", **SD21_TEXT),
            "scheduler/scheduler_config.json": scheduler("EulerDiscreteScheduler", "0.24.0.dev0", **TURBO_SCHED),
            "tokenizer/": tokenizer_files("!", "sd15"),
        },
        "stabilityai--sdxl-turbo": {
            "model_index.json": index(
                "StableDiffusionXLPipeline", "0.24.0.dev0", comps(XL_NAMES, "EulerAncestralDiscreteScheduler"),
                force_zeros_for_empty_prompt=True),
            "unet/config.json": xl_unet(_diffusers_version="0.24.0.dev0", sample_size=64),
            "vae/config.json": vae("0.24.0.dev0", 512, force_upcast=True, scaling_factor=0.13025),
            "text_encoder/config.json": clip_text("4.35.0", dtype="float16"),
            "text_encoder_2/config.json": bigg_text(),
            "scheduler/scheduler_config.json": scheduler("EulerAncestralDiscreteScheduler", "0.24.0.dev0", **TURBO_SCHED),
            "tokenizer/": tokenizer_files(clip_vocab.EOS, "sdxl"),
            "tokenizer_2/": tokenizer_files("!", "sdxl"),
        },
        "madebyollin--taesd": {"config.json": taesd()},
        "madebyollin--taesdxl": {"config.json": taesd()},
        "IDKiro--sdxs-512-0.9": {
            # The pruned SDXS UNet's config is not stored (its layout is not known here).
            "model_index.json": index(
                "StableDiffusionPipeline", "0.25.0",
                comps(SD_NAMES, "EulerDiscreteScheduler", safety_checker=[None, None], feature_extractor=[None, None],
                      vae=["diffusers", "AutoencoderTiny"]),
                requires_safety_checker=False),
            "vae/config.json": taesd("0.25.0"),
            "vae_large/config.json": vae("0.25.0", 768),
            "text_encoder/config.json": clip_text("4.36.2", **SD21_TEXT),
            "scheduler/scheduler_config.json": scheduler("EulerDiscreteScheduler", "0.25.0", **TURBO_SCHED),
            "tokenizer/": tokenizer_files("!", "sd15"),
        },
    }


REPOS.update(fast_repos())


def _write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def write_all(root=ROOT):
    for repo, files in REPOS.items():
        for name, obj in files.items():
            if name.endswith("/"):
                for sub, o in obj.items():
                    _write(os.path.join(root, repo, name + sub), o)
            else:
                _write(os.path.join(root, repo, name), obj)
    print(f"wrote {root} ({len(REPOS)} repositories)")


if __name__ == "__main__":
    write_all()
