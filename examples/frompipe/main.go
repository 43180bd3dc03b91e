// Command frompipe loads a checkpoint once and switches tasks without
// loading anything again, the Go counterpart of diffusers'
// AutoPipelineForImage2Image.from_pipe(pipe_t2i):
//
//	t2i, _ := autopipeline.Text2Image.FromPretrained(ctx, model)
//	i2i, _ := autopipeline.Image2Image.FromPipe(t2i)
//	inp, _ := autopipeline.Inpainting.FromPipe(t2i)
//
// The three pipelines share the very same UNet, VAE, text encoder and
// scheduler objects. It generates an image with the first, redraws it with
// the second and repaints its centre with the third.
//
//	go run ./examples/frompipe -steps 25 -out frompipe.png
//
// writes frompipe-text2img.png, frompipe-img2img.png and
// frompipe-inpaint.png.
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "frompipe:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("frompipe", flag.ContinueOnError)
	model := fl.String("model", "", "diffusers folder or Hub repo id (default: the embedded demo model "+demo.Name+")")
	prompt := fl.String("prompt", "a green triangle on a white background", "what to draw")
	steps := fl.Int("steps", 25, "number of denoising steps")
	seed := fl.Int64("seed", 0, "random seed (same seed, same images)")
	out := fl.String("out", "frompipe.png", "output PNG path; each task adds its name: frompipe-text2img.png, ...")
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

	// Load once...
	t2i, err := autopipeline.Text2Image.FromPretrained(ctx, *model)
	if err != nil {
		return err
	}
	// ...and reuse the loaded components for the other tasks.
	i2i, err := autopipeline.Image2Image.FromPipe(t2i)
	if err != nil {
		return err
	}
	inp, err := autopipeline.Inpainting.FromPipe(t2i)
	if err != nil {
		return err
	}
	for _, p := range []autopipeline.Pipeline{t2i, i2i, inp} {
		fmt.Fprintln(stdout, p.ClassName())
	}
	shared, err := sameComponents(t2i, i2i, inp)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "shared components: %s\n", strings.Join(shared, ", "))

	// Text to image.
	req := autopipeline.Request{Prompt: *prompt, NumInferenceSteps: *steps, Seed: *seed}
	first, err := generate(ctx, t2i, req, output(*out, "text2img"), stdout)
	if err != nil {
		return err
	}
	// Redraw it.
	req.Image = first
	req.Strength = 0.6
	if _, err := generate(ctx, i2i, req, output(*out, "img2img"), stdout); err != nil {
		return err
	}
	// Repaint its centre.
	req.Strength = 0 // the inpainting default, 1.0
	req.MaskImage = centreSquare(first.Bounds())
	_, err = generate(ctx, inp, req, output(*out, "inpaint"), stdout)
	return err
}

// sameComponents checks that every component of the first pipeline is the
// identical object (not a copy) in the others, and returns their names.
func sameComponents(first autopipeline.Pipeline, others ...autopipeline.Pipeline) ([]string, error) {
	var names []string
	for name, c := range first.Components() {
		for _, o := range others {
			if oc, ok := o.Components()[name]; !ok || !identical(oc, c) {
				return nil, fmt.Errorf("%s: component %s is not shared with %s", o.ClassName(), name, first.ClassName())
			}
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// identical reports whether a and b are the same object: components are
// pointers, so == compares identities; a value that cannot be compared
// counts as not shared.
func identical(a, b any) bool {
	return reflect.ValueOf(a).Comparable() && a == b
}

// generate runs p and saves the first image with its parameters to path.
func generate(ctx context.Context, p autopipeline.Pipeline, req autopipeline.Request, path string, stdout io.Writer) (image.Image, error) {
	res, err := p.Generate(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.ClassName(), err)
	}
	img := res.Images[0]
	if err := autopipeline.SavePNG(path, img, autopipeline.ParametersFor(p, req, img)); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "%s: wrote %s\n", p.ClassName(), path)
	return img, nil
}

// output inserts "-task" before the extension of path.
func output(path, task string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + task + ext
}

// centreSquare is a mask of r's size, white over the middle half.
func centreSquare(r image.Rectangle) image.Image {
	m := image.NewGray(r)
	w, h := r.Dx(), r.Dy()
	draw.Draw(m, image.Rect(w/4, h/4, w-w/4, h-h/4).Add(r.Min), image.White, image.Point{}, draw.Src)
	return m
}
