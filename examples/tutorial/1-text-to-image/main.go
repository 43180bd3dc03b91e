// Command text-to-image is the first snippet of the AutoPipeline tutorial:
// load a checkpoint for text-to-image without naming its pipeline class,
// and generate an image.
//
//	pipeline = AutoPipelineForText2Image.from_pretrained(
//	    "stable-diffusion-v1-5/stable-diffusion-v1-5", torch_dtype=torch.float16, use_safetensors=True)
//	image = pipeline(prompt, num_inference_steps=25).images[0]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/goautopipe/diffusers/autopipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "text-to-image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("text-to-image", flag.ContinueOnError)
	model := fs.String("model", "stable-diffusion-v1-5/stable-diffusion-v1-5", "Hub repo id or local diffusers folder")
	prompt := fs.String("prompt", "peasant and dragon combat, wood cutting style, viking era, bevel with rune", "prompt")
	steps := fs.Int("steps", 25, "denoising steps")
	size := fs.Int("size", 0, "width and height in pixels (0: the model's default)")
	seed := fs.Int64("seed", 0, "seed of the torch-compatible generator")
	fp32 := fs.Bool("fp32", false, "keep the weights in float32 (default: float16 storage, as torch_dtype=torch.float16)")
	out := fs.String("out", "text2image.png", "output PNG")
	if err := fs.Parse(args); err != nil {
		return err
	}

	dtype := autopipeline.Float16
	if *fp32 {
		dtype = autopipeline.Float32
	}
	// AutoPipelineForText2Image.from_pretrained(..., torch_dtype=torch.float16, use_safetensors=True)
	// (only safetensors weights are read, so use_safetensors has no counterpart).
	pipeline, err := autopipeline.Text2Image.FromPretrained(ctx, *model, autopipeline.WithDType(dtype))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "pipeline:", pipeline.ClassName())

	req := autopipeline.Request{Prompt: *prompt, NumInferenceSteps: *steps, Width: *size, Height: *size, Seed: *seed}
	res, err := pipeline.Generate(ctx, req)
	if err != nil {
		return err
	}
	image := res.Images[0]
	if err := autopipeline.SavePNG(*out, image, autopipeline.ParametersFor(pipeline, req, image)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "saved %s (%dx%d)\n", *out, image.Bounds().Dx(), image.Bounds().Dy())
	return nil
}
