// Command text2img generates an image from a prompt with AutoPipeline's
// text-to-image task, the Go counterpart of diffusers'
// AutoPipelineForText2Image.from_pretrained(...)(prompt).images[0].
//
//	go run ./examples/text2img -model stabilityai/stable-diffusion-2-1-base -prompt "a lighthouse at dawn" -steps 25
//
// Without -model it runs the demo model embedded in the module, a tiny
// latent diffusion model trained on simple shapes (tools/reference/train_demo.py):
//
//	go run ./examples/text2img -prompt "a red circle on a blue background"
//
// Pass a diffusers folder (or a Hub id) with -model for other pictures.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "text2img:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("text2img", flag.ContinueOnError)
	model := fl.String("model", "", "diffusers folder or Hub repo id (default: the embedded demo model "+demo.Name+")")
	prompt := fl.String("prompt", "a red circle on a blue background", "what to draw")
	steps := fl.Int("steps", 25, "number of denoising steps")
	seed := fl.Int64("seed", 0, "random seed (same seed, same image)")
	out := fl.String("out", "text2img.png", "output PNG path")
	if err := fl.Parse(args); err != nil {
		return err
	}

	path, name := *model, *model
	if path == "" {
		dir, err := demo.Extract("")
		if err != nil {
			return err
		}
		defer os.RemoveAll(filepath.Dir(dir))
		path, name = dir, demo.Name
	}

	pipe, err := autopipeline.Text2Image.FromPretrained(ctx, path)
	if err != nil {
		return err
	}
	res, err := pipe.Generate(ctx, autopipeline.Request{Prompt: *prompt, NumInferenceSteps: *steps, Seed: *seed})
	if err != nil {
		return err
	}
	img := res.Images[0]
	// res.Request is the request as it ran, with the pipeline's defaults
	// (the CFG scale) filled in.
	params := autopipeline.ParametersFor(pipe, res.Request, img)
	params.Model = name
	if s := pipe.Components().Scheduler(); s != nil {
		params.Sampler = autopipeline.SamplerName(s.ClassName(), s.Config()) // "DPM++ 2M", as A1111 writes it
	}
	if err := autopipeline.SavePNG(*out, img, params); err != nil {
		return err
	}
	b := img.Bounds()
	fmt.Fprintf(stdout, "%s: wrote %s (%dx%d)\n", pipe.ClassName(), *out, b.Dx(), b.Dy())
	return nil
}
