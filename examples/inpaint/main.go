// Command inpaint repaints the masked part of an image with AutoPipeline's
// inpainting task, the Go counterpart of diffusers'
// AutoPipelineForInpainting.from_pretrained(...)(prompt, image=img, mask_image=mask).
//
//	go run ./examples/inpaint -image photo.png -mask mask.png -prompt "a cat sitting on a bench"
//
// White mask pixels are repainted, black ones kept. Without -image and
// -mask it uses a generated gradient and a white centre square; without
// -model it runs the demo model embedded in the module, which paints
// simple shapes ("a white circle on a blue background").
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
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
		fmt.Fprintln(os.Stderr, "inpaint:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("inpaint", flag.ContinueOnError)
	model := fl.String("model", "", "diffusers folder or Hub repo id (default: the embedded demo model "+demo.Name+")")
	prompt := fl.String("prompt", "a white circle on a blue background", "what to paint into the masked area")
	input := fl.String("image", "", "input image, a file or an http(s) URL (default: a generated gradient)")
	maskPath := fl.String("mask", "", "mask image, white = repaint, a file or an http(s) URL (default: a white centre square)")
	size := fl.Int("size", 0, "side of the generated image and mask (default 512, 64 for the embedded checkpoint)")
	steps := fl.Int("steps", 25, "number of denoising steps")
	seed := fl.Int64("seed", 0, "random seed (same seed, same image)")
	out := fl.String("out", "inpaint.png", "output PNG path")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *size == 0 {
		*size = 512
		if *model == "" {
			*size = 64 // the demo model's native size
		}
	}

	img, err := loadOr(ctx, *input, func() image.Image { return gradient(*size) })
	if err != nil {
		return err
	}
	b := img.Bounds()
	mask, err := loadOr(ctx, *maskPath, func() image.Image { return centreSquare(b.Dx(), b.Dy()) })
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

	pipe, err := autopipeline.Inpainting.FromPretrained(ctx, *model)
	if err != nil {
		return err
	}
	req := autopipeline.Request{Prompt: *prompt, Image: img, MaskImage: mask,
		Width: b.Dx(), Height: b.Dy(), NumInferenceSteps: *steps, Seed: *seed}
	res, err := pipe.Generate(ctx, req)
	if err != nil {
		return err
	}
	result := res.Images[0]
	if err := autopipeline.SavePNG(*out, result, autopipeline.ParametersFor(pipe, req, result)); err != nil {
		return err
	}
	rb := result.Bounds()
	fmt.Fprintf(stdout, "%s: wrote %s (%dx%d)\n", pipe.ClassName(), *out, rb.Dx(), rb.Dy())
	return nil
}

// loadOr loads path (a file or an http(s) URL, like diffusers'
// load_image), or returns def() when path is empty.
func loadOr(ctx context.Context, path string, def func() image.Image) (image.Image, error) {
	if path == "" {
		return def(), nil
	}
	return autopipeline.LoadImage(ctx, path)
}

// gradient draws a size x size picture: red grows to the right, green
// downwards.
func gradient(size int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(255 * x / max(size-1, 1)), G: uint8(255 * y / max(size-1, 1)), B: 160, A: 255})
		}
	}
	return img
}

// centreSquare is a black w x h mask with a white square over the middle
// half.
func centreSquare(w, h int) image.Image {
	m := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(m, image.Rect(w/4, h/4, w-w/4, h-h/4), image.White, image.Point{}, draw.Src)
	return m
}
