// Package engine is the generation flow every Stable Diffusion family
// shares, written as the numbered steps of diffusers' __call__:
//
//  1. check inputs: the class's defaults (a typed table per task),
//     validation with diffusers' messages, the image size (checkInputs);
//  2. encode the prompt: the family's Encoder;
//  3. prepare the timesteps: the scheduler state, cut by strength or
//     SDXL's denoising_start/denoising_end (timesteps);
//  4. prepare the latents: per task, with the task's hooks into the loop
//     (prepareText2Image, prepareImage2Image, prepareInpaint);
//  5. denoise: the one loop, classifier-free guidance in one batched UNet
//     call (Loop);
//  6. decode, run the safety checker, postprocess (decode).
//
// A family (pipelines/sd, pipelines/sdxl) builds a Base from its Spec
// (class name, task, signature, defaults, traits) and passes its Encoder
// to Base.Generate. Numerics live in package tensor; image pre- and
// postprocessing (diffusers' VaeImageProcessor, padding_mask_crop) here.
//
// It is internal: the public surface is package pipelines (the interface,
// requests, registration) and package autopipeline.
package engine
