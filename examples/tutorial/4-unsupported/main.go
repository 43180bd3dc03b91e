// Command unsupported shows what happens with a checkpoint AutoPipeline
// has no mapping for: the error names the checkpoint's pipeline class, and
// matches autopipeline.ErrUnsupported.
//
//	pipeline = AutoPipelineForImage2Image.from_pretrained(
//	    "openai/shap-e-img2img", torch_dtype=torch.float16, use_safetensors=True)
//	"ValueError: AutoPipeline can't find a pipeline linked to ShapEImg2ImgPipeline for None"
package main

import (
	"context"
	"errors"
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
		fmt.Fprintln(os.Stderr, "unsupported:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("unsupported", flag.ContinueOnError)
	model := fs.String("model", "openai/shap-e-img2img", "Hub repo id or local diffusers folder")
	if err := fs.Parse(args); err != nil {
		return err
	}

	pipeline, err := autopipeline.Image2Image.FromPretrained(ctx, *model, autopipeline.WithDType(autopipeline.Float16))
	if err == nil {
		return fmt.Errorf("%s loaded as %s: expected no image-to-image pipeline for it", *model, pipeline.ClassName())
	}
	fmt.Fprintln(stdout, "error:", err)
	fmt.Fprintln(stdout, "errors.Is(err, autopipeline.ErrUnsupported):", errors.Is(err, autopipeline.ErrUnsupported))
	if !errors.Is(err, autopipeline.ErrUnsupported) {
		return err // a download or file error, not the one this example shows
	}
	return nil
}
