// Command from-pipe switches tasks without loading anything again:
// FromPipe builds the image-to-image pipeline from the components of the
// loaded text-to-image one (the very same objects).
//
//	pipeline_text2img = AutoPipelineForText2Image.from_pretrained(
//	    "stable-diffusion-v1-5/stable-diffusion-v1-5", torch_dtype=torch.float16, use_safetensors=True)
//	print(type(pipeline_text2img))
//	pipeline_img2img = AutoPipelineForImage2Image.from_pipe(pipeline_text2img)
//	print(type(pipeline_img2img))
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"reflect"
	"sort"

	"github.com/goautopipe/diffusers/autopipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "from-pipe:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("from-pipe", flag.ContinueOnError)
	model := fs.String("model", "stable-diffusion-v1-5/stable-diffusion-v1-5", "Hub repo id or local diffusers folder")
	if err := fs.Parse(args); err != nil {
		return err
	}

	text2img, err := autopipeline.Text2Image.FromPretrained(ctx, *model, autopipeline.WithDType(autopipeline.Float16))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "text-to-image:", text2img.ClassName())

	img2img, err := autopipeline.Image2Image.FromPipe(text2img)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "image-to-image:", img2img.ClassName())

	// Nothing was loaded twice: every component is shared.
	before, after := text2img.Components(), img2img.Components()
	names := make([]string, 0, len(after))
	for name := range after {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(stdout, "  %-17s shared: %v\n", name, same(before[name], after[name]))
	}
	return nil
}

// same reports whether a and b are the same object.
func same(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if !va.IsValid() || !vb.IsValid() || va.Type() != vb.Type() {
		return false
	}
	switch va.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return va.Pointer() == vb.Pointer()
	}
	return va.Comparable() && va.Equal(vb)
}
