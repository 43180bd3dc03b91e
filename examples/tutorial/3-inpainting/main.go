// Command inpainting is the tutorial's inpainting snippet, with an SDXL
// checkpoint: AutoPipeline picks StableDiffusionXLInpaintPipeline.
//
//	pipeline = AutoPipelineForInpainting.from_pretrained(
//	    "stabilityai/stable-diffusion-xl-base-1.0", torch_dtype=torch.float16, use_safetensors=True)
//	init_image = load_image(img_url).convert("RGB")
//	mask_image = load_image(mask_url).convert("RGB")
//	image = pipeline(prompt, image=init_image, mask_image=mask_image,
//	                 num_inference_steps=50, strength=0.80).images[0]
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

const (
	defaultImage = "https://huggingface.co/datasets/huggingface/documentation-images/resolve/main/diffusers/inpaint.png"
	defaultMask  = "https://huggingface.co/datasets/huggingface/documentation-images/resolve/main/diffusers/inpaint_mask.png"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "inpainting:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("inpainting", flag.ContinueOnError)
	model := fs.String("model", "stabilityai/stable-diffusion-xl-base-1.0", "Hub repo id or local diffusers folder")
	imageURL := fs.String("image", defaultImage, "image to repaint: URL or local file")
	maskURL := fs.String("mask", defaultMask, "mask (white is repainted): URL or local file")
	prompt := fs.String("prompt", "A majestic tiger sitting on a bench", "prompt")
	steps := fs.Int("steps", 50, "denoising steps")
	strength := fs.Float64("strength", 0.80, "how much of the masked area is re-noised")
	seed := fs.Int64("seed", 0, "seed of the torch-compatible generator")
	fp32 := fs.Bool("fp32", false, "keep the weights in float32 (default: float16 storage)")
	out := fs.String("out", "inpainting.png", "output PNG")
	if err := fs.Parse(args); err != nil {
		return err
	}

	dtype := autopipeline.Float16
	if *fp32 {
		dtype = autopipeline.Float32
	}
	pipeline, err := autopipeline.Inpainting.FromPretrained(ctx, *model, autopipeline.WithDType(dtype))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "pipeline:", pipeline.ClassName())

	// load_image(url).convert("RGB"): LoadImage always returns RGB.
	initImage, err := autopipeline.LoadImage(ctx, *imageURL)
	if err != nil {
		return err
	}
	maskImage, err := autopipeline.LoadImage(ctx, *maskURL)
	if err != nil {
		return err
	}

	req := autopipeline.Request{Prompt: *prompt, Image: initImage, MaskImage: maskImage,
		NumInferenceSteps: *steps, Strength: *strength, Seed: *seed}
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
