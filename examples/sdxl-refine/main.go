// Command sdxl-refine runs SDXL's ensemble of expert denoisers: the base
// model handles the first, high-noise part of the schedule and hands its
// latents to the refiner, which finishes the last part. It is the Go
// counterpart of diffusers' base + refiner example:
//
//	latents = base(prompt, denoising_end=0.8, output_type="latent").images
//	image = refiner(prompt, denoising_start=0.8, image=latents).images[0]
//
//	go run ./examples/sdxl-refine -base stabilityai/stable-diffusion-xl-base-1.0 \
//	    -refiner stabilityai/stable-diffusion-xl-refiner-1.0 -steps 40
//
// Without -base and -refiner it uses the tiny random-weight SDXL
// checkpoints under the module's testdata/ (found by walking up from the
// working folder to go.mod), so the image is noise-like.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/goautopipe/diffusers/autopipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sdxl-refine:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("sdxl-refine", flag.ContinueOnError)
	basePath := fl.String("base", "", "SDXL base checkpoint (default: testdata/tiny-sdxl of this module)")
	refinerPath := fl.String("refiner", "", "SDXL refiner checkpoint (default: testdata/tiny-sdxl-refiner of this module)")
	prompt := fl.String("prompt", "a majestic lion jumping from a big stone at night", "what to draw")
	steps := fl.Int("steps", 40, "number of denoising steps of the whole schedule")
	frac := fl.Float64("high-noise-frac", 0.8, "fraction of the schedule run by the base model")
	seed := fl.Int64("seed", 0, "random seed (same seed, same image)")
	out := fl.String("out", "sdxl-refine.png", "output PNG path")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *frac <= 0 || *frac >= 1 {
		return fmt.Errorf("-high-noise-frac %v: want a value strictly between 0 and 1", *frac)
	}
	for _, p := range []struct {
		flag *string
		name string
	}{{basePath, "tiny-sdxl"}, {refinerPath, "tiny-sdxl-refiner"}} {
		if *p.flag == "" {
			dir, err := testdata(p.name)
			if err != nil {
				return err
			}
			*p.flag = dir
		}
	}

	base, err := autopipeline.Text2Image.FromPretrained(ctx, *basePath)
	if err != nil {
		return err
	}
	refiner, err := autopipeline.Image2Image.FromPretrained(ctx, *refinerPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "base: %s, refiner: %s\n", base.ClassName(), refiner.ClassName())

	// The base model stops at the switch point and returns latents...
	lat, err := base.Generate(ctx, autopipeline.Request{Prompt: *prompt, NumInferenceSteps: *steps,
		DenoisingEnd: *frac, OutputType: "latent", Seed: *seed})
	if err != nil {
		return fmt.Errorf("base: %w", err)
	}
	// ...which the refiner denoises from that point on.
	req := autopipeline.Request{Prompt: *prompt, NumInferenceSteps: *steps,
		DenoisingStart: *frac, Latents: lat.Latents, Seed: *seed}
	res, err := refiner.Generate(ctx, req)
	if err != nil {
		return fmt.Errorf("refiner: %w", err)
	}
	img := res.Images[0]
	params := autopipeline.ParametersFor(base, req, img)
	params.Extra = map[string]string{"Refiner": refinerName(refiner, *refinerPath), "Refiner switch at": fmt.Sprint(*frac)}
	if err := autopipeline.SavePNG(*out, img, params); err != nil {
		return err
	}
	b := img.Bounds()
	fmt.Fprintf(stdout, "wrote %s (%dx%d)\n", *out, b.Dx(), b.Dy())
	return nil
}

func refinerName(p autopipeline.Pipeline, fallback string) string {
	if n, ok := p.Config()["_name_or_path"].(string); ok {
		return n
	}
	return fallback
}

// testdata returns the module's testdata/<name>, looking for go.mod from
// the working folder upwards.
func testdata(name string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "testdata", name)
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("default checkpoint: %w", err)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no default checkpoint outside the module's source tree: pass -base and -refiner")
		}
		dir = parent
	}
}
