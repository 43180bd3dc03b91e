package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/goautopipe/diffusers/autopipeline"
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
	steps, images             int
	height, width, clipSkip   int
	guidance, strength        float64
	eta, guidanceRescale      float64
	denoisingStart            float64
	denoisingEnd              float64
	seed                      int64
	out                       string
	progress                  bool
	loras                     loraFlag      // --lora, repeatable
	embeddings                embeddingFlag // --textual_inversion, repeatable

	set map[string]bool // flags given on the command line
}

// newFlagSet declares the flags of t, named after diffusers' call
// parameters. Zero values stand for the pipeline's defaults.
func newFlagSet(t task, out io.Writer) (*flag.FlagSet, *options) {
	o := &options{}
	fs := flag.NewFlagSet("autopipe "+t.name, flag.ContinueOnError)
	fs.SetOutput(out)

	fs.StringVar(&o.model, "model", "", "checkpoint: a local diffusers folder, a Hub repo id such as stabilityai/stable-diffusion-xl-base-1.0, or a single-file .safetensors checkpoint (local, org/name/file.safetensors or a huggingface.co URL) (required)")
	fs.Var(&o.loras, "lora", "LoRA file[:weight] to apply (repeatable; weight default 1)")
	fs.Var(&o.embeddings, "textual_inversion", "textual-inversion embedding file[:token] (repeatable; token default: the file's)")
	fs.StringVar(&o.variant, "variant", "", "weight files variant to load, e.g. fp16 (*.fp16.safetensors)")
	fs.StringVar(&o.scheduler, "scheduler", "", "diffusers scheduler class to use instead of the checkpoint's, e.g. EulerDiscreteScheduler")
	fs.StringVar(&o.prompt, "prompt", "", "what to draw (required)")
	fs.StringVar(&o.negativePrompt, "negative_prompt", "", "what to steer away from")
	fs.StringVar(&o.prompt2, "prompt_2", "", "prompt for SDXL's second text encoder (default: --prompt)")
	fs.StringVar(&o.negativePrompt2, "negative_prompt_2", "", "negative prompt for SDXL's second text encoder (default: --negative_prompt)")
	if t != taskText2Image {
		fs.StringVar(&o.image, "image", "", "input image: a file or an http(s) URL (required)")
	}
	if t == taskInpaint {
		fs.StringVar(&o.maskImage, "mask_image", "", "mask: white is repainted, black kept; a file or an http(s) URL (required)")
	}
	fs.IntVar(&o.steps, "num_inference_steps", 50, "number of denoising steps")
	fs.Float64Var(&o.guidance, "guidance_scale", 0, "classifier-free guidance weight (default: the pipeline's, 7.5 for SD, 5 for SDXL; 1 or less turns guidance off)")
	if t != taskText2Image {
		fs.Float64Var(&o.strength, "strength", 0, "how much of the input image is re-noised, in (0, 1] (default: the pipeline's, 0.8 for img2img, 1 for inpainting)")
	}
	if t != taskImage2Image {
		fs.IntVar(&o.height, "height", 0, "image height in pixels (default: the model's)")
		fs.IntVar(&o.width, "width", 0, "image width in pixels (default: the model's)")
	}
	fs.Int64Var(&o.seed, "seed", -1, "random seed; the same seed gives the same image (-1: pick one)")
	fs.IntVar(&o.images, "num_images_per_prompt", 1, "number of images to generate")
	fs.IntVar(&o.clipSkip, "clip_skip", 0, "use the text encoder output of this many layers before the last")
	fs.Float64Var(&o.eta, "eta", 0, "DDIM eta (noise weight, 0 = deterministic); other schedulers ignore it")
	fs.Float64Var(&o.guidanceRescale, "guidance_rescale", 0, "guidance rescale factor in [0, 1] against over-exposure")
	if t != taskText2Image {
		fs.Float64Var(&o.denoisingStart, "denoising_start", 0, "SDXL: start denoising at this fraction of the schedule, in [0, 1)")
	}
	fs.Float64Var(&o.denoisingEnd, "denoising_end", 0, "SDXL: stop denoising at this fraction of the schedule, in (0, 1]")
	fs.StringVar(&o.out, "out", t.name+".png", "output PNG path; with several images _0, _1, ... is added before the extension")
	fs.BoolVar(&o.progress, "progress", false, "draw the progress bar even when stderr is not a terminal")

	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: autopipe %s --model <folder|org/name> --prompt \"...\"", t.name)
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
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if err := o.check(t); err != nil {
		return nil, err
	}
	return o, nil
}

// check rejects values that can only fail later, before anything is loaded.
func (o *options) check(t task) error {
	switch {
	case o.model == "":
		return usagef("--model is required: a local diffusers folder or a Hub repo id")
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
	case o.guidance < 0:
		return usagef("--guidance_scale %v: cannot be negative", o.guidance)
	case o.set["strength"] && (o.strength <= 0 || o.strength > 1):
		return usagef("--strength %v: want a value in (0, 1]", o.strength)
	case o.clipSkip < 0:
		return usagef("--clip_skip %d: cannot be negative", o.clipSkip)
	case o.eta < 0:
		return usagef("--eta %v: cannot be negative", o.eta)
	case o.guidanceRescale < 0 || o.guidanceRescale > 1:
		return usagef("--guidance_rescale %v: want a value in [0, 1]", o.guidanceRescale)
	case o.denoisingStart < 0 || o.denoisingStart >= 1:
		return usagef("--denoising_start %v: want a value in [0, 1)", o.denoisingStart)
	case o.set["denoising_end"] && (o.denoisingEnd <= 0 || o.denoisingEnd > 1):
		return usagef("--denoising_end %v: want a value in (0, 1]", o.denoisingEnd)
	case o.denoisingEnd > 0 && o.denoisingStart >= o.denoisingEnd:
		return usagef("--denoising_start %v must be below --denoising_end %v", o.denoisingStart, o.denoisingEnd)
	case o.seed < -1:
		return usagef("--seed %d: want a non-negative seed, or -1 to pick one", o.seed)
	case o.out == "":
		return usagef("--out cannot be empty")
	}
	if o.scheduler != "" && !slices.Contains(schedulers.Classes(), o.scheduler) {
		return usagef("--scheduler %q is not available; choose one of: %s", o.scheduler, strings.Join(schedulers.Classes(), ", "))
	}
	return nil
}

// printFlags lists the flags with two dashes, as they are usually written.
func printFlags(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		typ, help := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if typ != "" {
			line += " " + typ
		}
		line += "\n    \t" + help
		switch d := f.DefValue; {
		case d == "" || d == "0" || d == "false":
		case typ == "string":
			line += fmt.Sprintf(" (default %q)", d)
		default:
			line += " (default " + d + ")"
		}
		fmt.Fprintln(fs.Output(), line)
	})
}
