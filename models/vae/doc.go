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
// Only DownEncoderBlock2D / UpDecoderBlock2D with the SiLU activation and
// group norm are supported (every SD 1.x, 2.x and SDXL VAE); other autoencoders
// (tiny AutoencoderTiny, consistency decoders, spatial-norm decoders) are not.
package vae
