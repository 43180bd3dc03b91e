// Command image-to-image is the tutorial's image-to-image snippet: the same
// checkpoint loaded for another task, with an image from a URL made into
// an RGB thumbnail of at most 768x768.
//
//	pipeline = AutoPipelineForImage2Image.from_pretrained(
//	    "stable-diffusion-v1-5/stable-diffusion-v1-5", torch_dtype=torch.float16, use_safetensors=True)
//	image = Image.open(BytesIO(requests.get(url).content)).convert("RGB")
//	image.thumbnail((768, 768))
//	image = pipeline(prompt, image, num_inference_steps=200, strength=0.75, guidance_scale=10.5).images[0]
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

const defaultImage = "https://upload.wikimedia.org/wikipedia/commons/thumb/0/0f/1665_Girl_with_a_Pearl_Earring.jpg/800px-1665_Girl_with_a_Pearl_Earring.jpg"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "image-to-image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("image-to-image", flag.ContinueOnError)
	model := fs.String("model", "stable-diffusion-v1-5/stable-diffusion-v1-5", "Hub repo id or local diffusers folder")
	imageURL := fs.String("image", defaultImage, "input image: URL or local file")
	maxSize := fs.Int("max-size", 768, "the input image is made a thumbnail that fits max-size x max-size")
	prompt := fs.String("prompt", "a portrait of a dog wearing a pearl earring", "prompt")
	steps := fs.Int("steps", 200, "denoising steps (strength 0.75 runs 3/4 of them)")
	strength := fs.Float64("strength", 0.75, "how much of the input image is re-noised")
	guidance := fs.Float64("guidance", 10.5, "classifier-free guidance scale")
	seed := fs.Int64("seed", 0, "seed of the torch-compatible generator")
	fp32 := fs.Bool("fp32", false, "keep the weights in float32 (default: float16 storage)")
	out := fs.String("out", "image2image.png", "output PNG")
	if err := fs.Parse(args); err != nil {
		return err
	}

	dtype := autopipeline.Float16
	if *fp32 {
		dtype = autopipeline.Float32
	}
	pipeline, err := autopipeline.Image2Image.FromPretrained(ctx, *model, autopipeline.WithDType(dtype))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "pipeline:", pipeline.ClassName())

	// Image.open(...).convert("RGB"); image.thumbnail((768, 768))
	img, err := autopipeline.LoadImage(ctx, *imageURL)
	if err != nil {
		return err
	}
	thumb, err := autopipeline.Thumbnail(img, *maxSize, *maxSize)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "input %dx%d, thumbnail %dx%d\n", img.Bounds().Dx(), img.Bounds().Dy(), thumb.Rect.Dx(), thumb.Rect.Dy())

	req := autopipeline.Request{Prompt: *prompt, Image: thumb, NumInferenceSteps: *steps,
		Strength: *strength, GuidanceScale: *guidance, Seed: *seed}
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
