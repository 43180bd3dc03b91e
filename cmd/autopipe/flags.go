package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/demo"
	"github.com/goautopipe/diffusers/schedulers"
)

// task is what a subcommand does.
type task struct {
	name string
	autopipeline.Task
}

var (
	taskText2Image  = task{"text2img", autopipeline.Text2Image}
	taskImage2Image = task{"img2img", autopipeline.Image2Image}
	taskInpaint     = task{"inpaint", autopipeline.Inpainting}
)

// options are the parsed flags of a subcommand.
type options struct {
	model, variant, scheduler string
	prompt, negativePrompt    string
	prompt2, negativePrompt2  string
	image, maskImage          string
	dtype, promptSyntax       string
	steps, images             int
	height, width, clipSkip   int
	threads                   int
	guidance, strength        float64
	eta, guidanceRescale      float64
	denoisingStart            float64
	denoisingEnd              float64
	seed                      int64
	out                       string
	progress, quiet           bool
	vaeTiling, noSafety       bool
	loras                     loraFlag      // --lora, repeatable
	embeddings                embeddingFlag // --textual_inversion, repeatable

	set map[string]bool // flags given on the command line (by their main name)
}

// newFlagSet declares the flags of t, named after diffusers' call
// parameters, with the short and dashed forms of stable-diffusion.cpp and
// AUTOMATIC1111 as aliases. Zero values stand for the pipeline's defaults.
func newFlagSet(t task, out io.Writer) (*flag.FlagSet, *options) {
	o := &options{}
	fs := flag.NewFlagSet("autopipe "+t.name, flag.ContinueOnError)
	fs.SetOutput(out)
	a := aliaser{fs}

	a.str(&o.model, "", "checkpoint: a local diffusers folder, a Hub repo id such as stabilityai/stable-diffusion-xl-base-1.0, or a single-file .safetensors checkpoint (local, org/name/file.safetensors or a huggingface.co URL) (default: the embedded demo model "+demo.Name+")", "model", "m")
	fs.Var(&o.loras, "lora", "LoRA file[:weight] to apply (repeatable; weight default 1)")
	fs.Var(&o.embeddings, "textual_inversion", "textual-inversion embedding file[:token] (repeatable; token default: the file's)")
	a.str(&o.variant, "", "weight files variant to load, e.g. fp16 (*.fp16.safetensors)", "variant")
	a.str(&o.dtype, "", "weights precision: fp32 (default), fp16 or bf16 (computation stays float32)", "dtype")
	a.str(&o.scheduler, "", "sampler: a short name ("+samplerNames()+"), an A1111 name (\"DPM++ 2M Karras\") or a diffusers scheduler class; default: the checkpoint's", "scheduler", "sampler", "sampling-method")
	a.str(&o.prompt, "", "what to draw (required)", "prompt", "p")
	a.str(&o.negativePrompt, "", "what to steer away from", "negative_prompt", "n", "negative-prompt")
	a.str(&o.promptSyntax, "", "a1111: read the prompts in AUTOMATIC1111's syntax: (word:1.2), (word), [word], BREAK, and no cut at 77 tokens (SD 1.x/2.x); default: as diffusers, brackets are text", "prompt-syntax", "prompt_syntax")
	a.str(&o.prompt2, "", "prompt for SDXL's second text encoder (default: --prompt)", "prompt_2")
	a.str(&o.negativePrompt2, "", "negative prompt for SDXL's second text encoder (default: --negative_prompt)", "negative_prompt_2")
	if t != taskText2Image {
		a.str(&o.image, "", "input image: a file or an http(s) URL (required)", "image", "i", "init-img")
	}
	if t == taskInpaint {
		a.str(&o.maskImage, "", "mask: white is repainted, black kept; a file or an http(s) URL (required)", "mask_image", "mask")
	}
	a.int(&o.steps, 50, "number of denoising steps", "num_inference_steps", "steps")
	a.float(&o.guidance, 0, "classifier-free guidance weight (default: the pipeline's, 7.5 for SD, 5 for SDXL; 1 or less turns guidance off)", "guidance_scale", "cfg-scale", "cfg_scale")
	if t != taskText2Image {
		a.float(&o.strength, 0, "how much of the input image is re-noised, in (0, 1] (default: the pipeline's, 0.8 for img2img, 1 for inpainting)", "strength")
	}
	if t != taskImage2Image {
		a.int(&o.height, 0, "image height in pixels (default: the model's)", "height", "H")
		a.int(&o.width, 0, "image width in pixels (default: the model's)", "width", "W")
	}
	fs.Int64Var(&o.seed, "seed", -1, "random seed; the same seed gives the same image (-1: pick one)")
	a.alias("seed", "s")
	a.int(&o.images, 1, "number of images to generate (one batch)", "num_images_per_prompt", "b", "batch-count", "batch-size")
	a.int(&o.clipSkip, 0, "use the text encoder output of this many layers before the last", "clip_skip", "clip-skip")
	a.float(&o.eta, 0, "DDIM eta (noise weight, 0 = deterministic); other schedulers ignore it", "eta")
	a.float(&o.guidanceRescale, 0, "guidance rescale factor in [0, 1] against over-exposure", "guidance_rescale")
	if t != taskText2Image {
		a.float(&o.denoisingStart, 0, "SDXL: start denoising at this fraction of the schedule, in [0, 1)", "denoising_start")
	}
	a.float(&o.denoisingEnd, 0, "SDXL: stop denoising at this fraction of the schedule, in (0, 1]", "denoising_end")
	a.str(&o.out, t.name+".png", "output path, .png or .jpg/.jpeg; with several images _0, _1, ... is added before the extension", "out", "o", "output")
	o.runFlags(a)

	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: autopipe %s [--model <folder|org/name>] --prompt \"...\"", t.name)
		switch t {
		case taskImage2Image:
			fmt.Fprint(fs.Output(), " --image in.png")
		case taskInpaint:
			fmt.Fprint(fs.Output(), " --image in.png --mask_image mask.png")
		}
		fmt.Fprint(fs.Output(), " [flags]\n\nFlags:\n")
		printFlags(fs)
	}
	return fs, o
}

// runFlags declares the flags of how the run goes (not of what it draws).
func (o *options) runFlags(a aliaser) {
	a.fs.BoolVar(&o.vaeTiling, "vae-tiling", false, "decode (and encode) the image in overlapping tiles, for large sizes in less memory")
	a.fs.BoolVar(&o.noSafety, "no-safety-checker", false, "leave the checkpoint's safety checker out")
	a.fs.IntVar(&o.threads, "threads", 0, "number of CPU threads (default: all)")
	a.fs.BoolVar(&o.progress, "progress", false, "draw the progress bar even when stderr is not a terminal")
	a.bool(&o.quiet, "print no progress on stderr", "quiet", "q")
}

// parseFlags parses and checks the command line of t. -h prints the
// flags on stdout.
func parseFlags(t task, args []string, stdout io.Writer) (*options, error) {
	fs, o := newFlagSet(t, io.Discard)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, err
		}
		return nil, usageError{strings.ReplaceAll(err.Error(), " -", " --")}
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q: flags come before any argument, and the prompt is given with --prompt", fs.Arg(0))
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[mainName(f)] = true })
	if err := o.check(t); err != nil {
		return nil, err
	}
	return o, nil
}

// check rejects values that can only fail later, before anything is loaded.
func (o *options) check(t task) error {
	switch {
	case strings.TrimSpace(o.prompt) == "":
		return usagef("--prompt is required")
	case t != taskText2Image && o.image == "":
		return usagef("--image is required for %s", t.name)
	case t == taskInpaint && o.maskImage == "":
		return usagef("--mask_image is required for inpaint")
	case o.steps < 1:
		return usagef("--num_inference_steps %d: want at least 1", o.steps)
	case o.images < 1:
		return usagef("--num_images_per_prompt %d: want at least 1", o.images)
	case o.height < 0 || o.width < 0:
		return usagef("--height %d --width %d: sizes cannot be negative", o.height, o.width)
	}
	return o.checkNumbers()
}

// checkNumbers checks the numeric flags and the choices.
func (o *options) checkNumbers() error {
	if err := o.checkFractions(); err != nil {
		return err
	}
	switch {
	case o.guidance < 0:
		return usagef("--guidance_scale %v: cannot be negative", o.guidance)
	case o.clipSkip < 0:
		return usagef("--clip_skip %d: cannot be negative", o.clipSkip)
	case o.eta < 0:
		return usagef("--eta %v: cannot be negative", o.eta)
	case o.seed < -1:
		return usagef("--seed %d: want a non-negative seed, or -1 to pick one", o.seed)
	case o.out == "":
		return usagef("--out cannot be empty")
	case o.threads < 0:
		return usagef("--threads %d: cannot be negative", o.threads)
	}
	if _, ok := dtypes[o.dtype]; !ok {
		return usagef("--dtype %q: want fp32, fp16 or bf16", o.dtype)
	}
	if o.scheduler != "" {
		if _, err := autopipeline.LookupSampler(o.scheduler); err != nil {
			return usagef("--scheduler: %v (or a diffusers class: %s)", err, strings.Join(schedulers.Classes(), ", "))
		}
	}
	return outputFormat(o.out)
}

// checkFractions checks the flags that are fractions of something.
func (o *options) checkFractions() error {
	switch {
	case o.set["strength"] && (o.strength <= 0 || o.strength > 1):
		return usagef("--strength %v: want a value in (0, 1]", o.strength)
	case o.guidanceRescale < 0 || o.guidanceRescale > 1:
		return usagef("--guidance_rescale %v: want a value in [0, 1]", o.guidanceRescale)
	case o.denoisingStart < 0 || o.denoisingStart >= 1:
		return usagef("--denoising_start %v: want a value in [0, 1)", o.denoisingStart)
	case o.set["denoising_end"] && (o.denoisingEnd <= 0 || o.denoisingEnd > 1):
		return usagef("--denoising_end %v: want a value in (0, 1]", o.denoisingEnd)
	case o.denoisingEnd > 0 && o.denoisingStart >= o.denoisingEnd:
		return usagef("--denoising_start %v must be below --denoising_end %v", o.denoisingStart, o.denoisingEnd)
	}
	return nil
}

// dtypes are the --dtype values.
var dtypes = map[string]autopipeline.DType{
	"": autopipeline.Float32, "fp32": autopipeline.Float32, "float32": autopipeline.Float32,
	"fp16": autopipeline.Float16, "float16": autopipeline.Float16,
	"bf16": autopipeline.BFloat16, "bfloat16": autopipeline.BFloat16,
}
