// Package vae is diffusers' AutoencoderKL in Go: the Stable Diffusion /
// SDXL variational autoencoder that encodes images into a diagonal Gaussian
// latent distribution and decodes latents back to images.
//
// Load reads a diffusers component folder (config.json and
// diffusion_pytorch_model[.variant].safetensors). The config's
// scaling_factor, shift_factor and latents_mean/std are exposed through
// Config but not applied here: Decode expects latents already unscaled, and
// the pipelines scale what Encode returns.
//
// Tiled encode and decode (SetTiling) split large inputs into overlapping
// tiles blended linearly at the seams, exactly as diffusers' enable_tiling,
// so a large decode never holds the full-resolution activations of the whole
// image at once.
//
// AutoencoderTiny (LoadTiny) is diffusers' tiny autoencoder (TAESD,
// TAESDXL): plain convolutions and ReLUs, a deterministic encoder whose
// output is already in the pipelines' latent space (scaling_factor 1), and
// ScaleLatents/UnscaleLatents for its 8-bit latent storage range.
//
// Only DownEncoderBlock2D / UpDecoderBlock2D with the SiLU activation and
// group norm are supported for AutoencoderKL (every SD 1.x, 2.x and SDXL
// VAE); other autoencoders (consistency decoders, spatial-norm decoders) are
// not.
package vae
