// Package sdxl is the "stable-diffusion-xl" family: diffusers'
// StableDiffusionXLPipeline, StableDiffusionXLImg2ImgPipeline and
// StableDiffusionXLInpaintPipeline, for SDXL base, refiner (second text
// encoder only, aesthetic-score conditioning) and inpainting checkpoints.
//
// It registers itself with package pipelines when imported; package
// autopipeline imports it. Its own part of the flow is the two text
// encoders (penultimate hidden states concatenated, the pooled
// projection), the micro-conditioning time ids (original size, crop,
// target size or aesthetic score) checked against the UNet's
// add_embedding, and force_zeros_for_empty_prompt. Defaults are diffusers'
// (50 steps; guidance 5.0, 7.5 for inpainting; strength 0.3 for
// image-to-image and 0.9999 for inpainting).
package sdxl
