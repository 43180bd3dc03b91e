// Command autopipe generates images with AutoPipeline from the command
// line: text-to-image, image-to-image and inpainting with Stable Diffusion
// 1.x/2.x and SDXL checkpoints (a local diffusers folder or a Hub repo id).
//
// Usage:
//
//	autopipe text2img --model <folder|org/name> --prompt "..." [flags]
//	autopipe img2img  --model ... --prompt "..." --image in.png [flags]
//	autopipe inpaint  --model ... --prompt "..." --image in.png --mask_image mask.png [flags]
//	autopipe help [subcommand]
//
// The flags are named after the diffusers call parameters
// (--num_inference_steps, --guidance_scale, --strength, --negative_prompt,
// --prompt_2, ...); a value left out takes the pipeline's default.
// --scheduler swaps in another diffusers scheduler class, built from the
// checkpoint's scheduler configuration (e.g. EulerDiscreteScheduler, or a
// short name: euler, euler_a, dpm++, lcm, ...). --vae replaces the
// checkpoint's autoencoder (a folder or Hub id; AutoencoderKL or
// AutoencoderTiny) and --taesd picks the tiny one (madebyollin/taesd, or
// taesdxl for SDXL). Few-step checkpoints run with their own defaults
// (LCM: 4 steps, guidance 8.5); --guidance_scale 0 turns guidance off as
// the Turbo model cards ask.
//
// Images are written as PNG files (--out; with several images the names get
// _0, _1, ... before the extension) carrying the generation parameters in a
// "parameters" text chunk, in the format AUTOMATIC1111's web UI reads.
// A progress bar of the denoising steps is drawn on stderr when it is a
// terminal, or always with --progress.
//
// Exit status: 0 on success, 2 for a usage error (unknown subcommand, bad
// or missing flag, invalid request), 1 for any other failure. Ctrl-C
// cancels the run.
package main
