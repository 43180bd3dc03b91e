// Package singlefile loads single-file Stable Diffusion checkpoints: one
// .safetensors file holding a whole pipeline in the original (LDM) layout,
// as A1111, ComfyUI and the original Stable Diffusion repositories write
// them.
//
// Load detects the model type from tensor names and shapes, as diffusers'
// single_file_utils does (SD 1.x, SD 2.x 768 v-prediction or 512 epsilon,
// SD 1.x/2.x inpainting, SDXL base, refiner and inpainting; see Kind), and
// builds the components with diffusers' names:
//
//	model.diffusion_model.*                 unet            input/middle/output blocks -> down/mid/up blocks
//	first_stage_model.*                     vae             1x1-convolution attention -> linear
//	cond_stage_model.transformer.*          text_encoder    CLIP-L (transformers names)
//	cond_stage_model.model.*                text_encoder    OpenCLIP-H (SD 2.x): in_proj split into q/k/v
//	conditioner.embedders.0.transformer.*   text_encoder    CLIP-L (SDXL)
//	conditioner.embedders.1.model.*         text_encoder_2  OpenCLIP-bigG (SDXL): text_projection transposed
//	conditioner.embedders.0.model.*         text_encoder_2  OpenCLIP-bigG (SDXL refiner)
//
// The conversion is a renaming view of the file (weights.Remap): tensors
// stay zero-copy views of the mapping, float16 files included when loaded
// with Float16 precision. Every tensor must belong to a component or be a
// known training leftover (noise schedule buffers, EMA weights); every
// missing, unused or mis-shaped tensor of every component is reported in one
// error.
//
// A single file holds no configs: the configs of each kind's reference
// repository (model_index.json, component and scheduler configs, tokenizer
// files) are carried in the package, so loading needs no network.
// Options.ConfigDir points at another diffusers folder's configs instead,
// as diffusers' from_single_file(config=...).
//
// Pickle checkpoints (.ckpt, .pt) are refused: loading them can run code.
//
// The package builds components; choosing and running a pipeline is the
// autopipeline package's job.
package singlefile
