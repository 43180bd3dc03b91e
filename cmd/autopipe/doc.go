// Command autopipe generates images with AutoPipeline from the command
// line: text-to-image, image-to-image and inpainting with Stable Diffusion
// 1.x/2.x and SDXL checkpoints (a local diffusers folder or a Hub repo id).
//
// Usage:
//
//	autopipe text2img [-m <folder|org/name>] -p "..." [flags]
//	autopipe img2img  [-m ...] -p "..." -i in.png [flags]
//	autopipe inpaint  [-m ...] -p "..." -i in.png --mask mask.png [flags]
//	autopipe help [subcommand]
//	autopipe --version
//
// Without --model it runs the demo model embedded in the module (simple
// shapes: "a red circle on a blue background").
//
// The flags are named after the diffusers call parameters
// (--num_inference_steps, --guidance_scale, --strength, --negative_prompt,
// --prompt_2, ...), with the short forms of stable-diffusion.cpp and
// AUTOMATIC1111 as aliases (-p, -n, -m, -o, -W, -H, -s, --steps,
// --cfg-scale, -b, -i, --mask); a value left out takes the pipeline's
// default. --sampler (or --scheduler) takes a short name (euler_a,
// dpm++2m_karras, ...), an A1111 name ("DPM++ 2M Karras") or a diffusers
// scheduler class, built from the checkpoint's scheduler configuration.
// --prompt-syntax a1111 reads prompts in A1111's syntax ((word:1.2),
// [word], BREAK, longer than 77 tokens); by default prompts are read as
// diffusers does, and a prompt cut at 77 tokens is reported.
//
// Images are written as PNG, or JPEG for a .jpg/.jpeg --out (with several
// images the names get _0, _1, ... before the extension), carrying the
// generation parameters as AUTOMATIC1111 writes them (a PNG "parameters"
// text chunk, a JPEG EXIF UserComment): the A1111 sampler name, the seed
// and, in a batch, the batch size and position. Progress (loading, text
// encoding, denoising with s/step and ETA, decoding) goes to stderr: one
// redrawn line on a terminal (or with --progress), plain lines otherwise,
// nothing with --quiet.
//
// Exit status: 0 on success (and for -h and --version), 2 for a usage
// error (unknown subcommand, bad or missing flag, invalid request), 1 for
// any other failure. Ctrl-C cancels the run.
package main
