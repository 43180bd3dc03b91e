// Command from-pipe-config shows how configuration travels through
// FromPipe: a value set at load (requires_safety_checker=False) is carried
// over, and can be overridden in FromPipe. Call defaults such as strength
// can be given too; diffusers ignores them in from_pipe (with a warning),
// WithDefaults applies them to every call of the new pipeline.
//
//	pipe_txt2img = AutoPipelineForText2Image.from_pretrained(
//	    "stable-diffusion-v1-5/stable-diffusion-v1-5", requires_safety_checker=False, torch_dtype=torch.float16)
//	pipe_img2img = AutoPipelineForImage2Image.from_pipe(pipe_txt2img)
//	print(pipe_img2img.config.requires_safety_checker)   # False
//	pipe_img2img = AutoPipelineForImage2Image.from_pipe(pipe_txt2img, requires_safety_checker=True, strength=0.3)
//	print(pipe_img2img.config.requires_safety_checker)   # True
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"

	"github.com/goautopipe/diffusers/autopipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "from-pipe-config:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("from-pipe-config", flag.ContinueOnError)
	model := fs.String("model", "stable-diffusion-v1-5/stable-diffusion-v1-5", "Hub repo id or local diffusers folder")
	imageURL := fs.String("image", "", "when set, run image-to-image on this image (URL or file) to show the strength default at work")
	steps := fs.Int("steps", 50, "denoising steps of that run")
	out := fs.String("out", "from-pipe-config.png", "output PNG of that run")
	if err := fs.Parse(args); err != nil {
		return err
	}

	text2img, err := autopipeline.Text2Image.FromPretrained(ctx, *model,
		autopipeline.WithConfig("requires_safety_checker", false), autopipeline.WithDType(autopipeline.Float16))
	if err != nil {
		return err
	}
	printConfig(stdout, "text-to-image", text2img)

	img2img, err := autopipeline.Image2Image.FromPipe(text2img)
	if err != nil {
		return err
	}
	printConfig(stdout, "image-to-image", img2img)

	img2img, err = autopipeline.Image2Image.FromPipe(text2img,
		autopipeline.WithConfig("requires_safety_checker", true),
		autopipeline.WithDefaults(autopipeline.Request{Strength: 0.3}))
	if err != nil {
		return err
	}
	printConfig(stdout, "image-to-image (overridden)", img2img)
	if d, ok := img2img.(interface{ Defaults() autopipeline.Request }); ok {
		fmt.Fprintf(stdout, "  call defaults: strength=%v\n", d.Defaults().Strength)
	}

	if *imageURL == "" {
		return nil
	}
	img, err := autopipeline.LoadImage(ctx, *imageURL)
	if err != nil {
		return err
	}
	ran := 0
	req := autopipeline.Request{Prompt: "a portrait of a dog wearing a pearl earring", Image: img,
		NumInferenceSteps: *steps, Callback: func(step, total int) { ran = total }}
	res, err := img2img.Generate(ctx, req) // Strength left zero: 0.3 from WithDefaults
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "strength default 0.3: %d denoising steps run (%d requested)\n", ran, *steps)
	req.Strength = 0.3
	return autopipeline.SavePNG(*out, res.Images[0], autopipeline.ParametersFor(img2img, req, res.Images[0]))
}

// printConfig prints the class and config of a pipeline, keys sorted.
func printConfig(w io.Writer, title string, p autopipeline.Pipeline) {
	fmt.Fprintf(w, "%s: %s\n", title, p.ClassName())
	cfg := p.Config()
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %v\n", k, cfg[k])
	}
}
