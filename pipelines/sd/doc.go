// Package sd is the "stable-diffusion" family: diffusers'
// StableDiffusionPipeline, StableDiffusionImg2ImgPipeline and
// StableDiffusionInpaintPipeline for Stable Diffusion 1.x and 2.x
// checkpoints (4-channel and 9-channel inpainting UNets), with one CLIP
// text encoder and an optional safety checker.
//
// It registers itself with package pipelines when imported; package
// autopipeline imports it. Its own part of the flow is prompt encoding
// (the last hidden state, or an earlier layer with clip skip) and refusing
// the request fields only SDXL takes; defaults are diffusers' (50 steps,
// guidance 7.5, strength 0.8 for image-to-image and 1.0 for inpainting).
package sd
