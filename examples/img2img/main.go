// Command img2img redraws an image guided by a prompt with AutoPipeline's
// image-to-image task, the Go counterpart of diffusers'
// AutoPipelineForImage2Image.from_pretrained(...)(prompt, image=init).
//
//	go run ./examples/img2img -image sketch.png -prompt "a fantasy landscape" -strength 0.75
//
// Without -image it starts from a generated colour gradient; without
// -model it runs the demo model embedded in the module, which draws simple
// shapes ("a yellow square on a purple background").
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
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
		fmt.Fprintln(os.Stderr, "img2img:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("img2img", flag.ContinueOnError)
	model := fl.String("model", "", "diffusers folder or Hub repo id (default: the embedded demo model "+demo.Name+")")
	prompt := fl.String("prompt", "a yellow square on a purple background", "what to draw")
	input := fl.String("image", "", "input image, a file or an http(s) URL (default: a generated gradient)")
	size := fl.Int("size", 0, "side of the generated gradient when -image is not given (default 512, 64 for the embedded checkpoint)")
	strength := fl.Float64("strength", 0.75, "how much of the input is re-noised (0..1)")
	steps := fl.Int("steps", 25, "number of denoising steps (before strength)")
	seed := fl.Int64("seed", 0, "random seed (same seed, same image)")
	out := fl.String("out", "img2img.png", "output PNG path")
	if err := fl.Parse(args); err != nil {
		return err
	}

	if *size == 0 {
		*size = 512
		if *model == "" {
			*size = 64 // the demo model's native size
		}
	}
	init, err := loadOrGradient(ctx, *input, *size)
	if err != nil {
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

	pipe, err := autopipeline.Image2Image.FromPretrained(ctx, *model)
	if err != nil {
		return err
	}
	req := autopipeline.Request{Prompt: *prompt, Image: init, Strength: *strength, NumInferenceSteps: *steps, Seed: *seed}
	res, err := pipe.Generate(ctx, req)
	if err != nil {
		return err
	}
	img := res.Images[0]
	params := autopipeline.ParametersFor(pipe, req, img)
	params.Extra = map[string]string{"Denoising strength": fmt.Sprint(*strength)}
	if err := autopipeline.SavePNG(*out, img, params); err != nil {
		return err
	}
	b := img.Bounds()
	fmt.Fprintf(stdout, "%s: wrote %s (%dx%d)\n", pipe.ClassName(), *out, b.Dx(), b.Dy())
	return nil
}

// loadOrGradient loads path (a file or an http(s) URL, like diffusers'
// load_image), or draws a size x size gradient when path is empty: red
// grows to the right, green downwards.
func loadOrGradient(ctx context.Context, path string, size int) (image.Image, error) {
	if path != "" {
		return autopipeline.LoadImage(ctx, path)
	}
	if size < 8 {
		return nil, fmt.Errorf("-size %d: want at least 8", size)
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(255 * x / (size - 1)), G: uint8(255 * y / (size - 1)), B: 160, A: 255})
		}
	}
	return img, nil
}
