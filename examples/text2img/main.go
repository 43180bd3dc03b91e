// Command text2img generates an image from a prompt with AutoPipeline's
// text-to-image task, the Go counterpart of diffusers'
// AutoPipelineForText2Image.from_pretrained(...)(prompt).images[0].
//
//	go run ./examples/text2img -prompt "a lighthouse at dawn" -steps 25 -out text2img.png
//
// Without -model it runs the tiny random-weight checkpoint embedded in the
// module, so the image is noise-like; pass a diffusers folder (or a Hub id)
// for real pictures.
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
	model := fl.String("model", "", "diffusers folder or Hub repo id (default: the embedded tiny-sd checkpoint)")
	prompt := fl.String("prompt", "a photograph of an astronaut riding a horse", "what to draw")
	steps := fl.Int("steps", 25, "number of denoising steps")
	seed := fl.Int64("seed", 0, "random seed (same seed, same image)")
	out := fl.String("out", "text2img.png", "output PNG path")
	if err := fl.Parse(args); err != nil {
		return err
	}

	if *model == "" {
		dir, err := demo.Extract("")
		if err != nil {
			return err
		}
		defer os.RemoveAll(filepath.Dir(dir))
		*model = dir
	}

	pipe, err := autopipeline.Text2Image.FromPretrained(ctx, *model)
	if err != nil {
		return err
	}
	req := autopipeline.Request{Prompt: *prompt, NumInferenceSteps: *steps, Seed: *seed}
	res, err := pipe.Generate(ctx, req)
	if err != nil {
		return err
	}
	img := res.Images[0]
	if err := autopipeline.SavePNG(*out, img, autopipeline.ParametersFor(pipe, req, img)); err != nil {
		return err
	}
	b := img.Bounds()
	fmt.Fprintf(stdout, "%s: wrote %s (%dx%d)\n", pipe.ClassName(), *out, b.Dx(), b.Dy())
	return nil
}
