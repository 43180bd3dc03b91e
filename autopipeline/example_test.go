package autopipeline_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"log"
	"os"
	"path/filepath"

	"github.com/goautopipe/diffusers/autopipeline"
)

// The tiny checkpoints under testdata/ stand in for real ones here: a Hub
// repo id such as "stable-diffusion-v1-5/stable-diffusion-v1-5" works the
// same way.
const checkpoint = "../testdata/tiny-sd"

// A whole generation: load, generate, save with its parameters.
func Example() {
	ctx := context.Background()
	pipe, err := autopipeline.Text2Image.FromPretrained(ctx, checkpoint)
	if err != nil {
		log.Fatal(err)
	}
	out, err := pipe.Generate(ctx, autopipeline.Request{Prompt: "a photo of a cat", NumInferenceSteps: 2, Seed: 42})
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(os.TempDir(), "autopipeline-example.png")
	defer os.Remove(path)
	if err := autopipeline.SavePNG(path, out.Images[0], autopipeline.ParametersFor(pipe, out.Request, out.Images[0])); err != nil {
		log.Fatal(err)
	}
	fmt.Println(pipe.ClassName(), out.Images[0].Bounds().Size(), "guidance", out.Request.GuidanceScale)
	// Output: StableDiffusionPipeline (64,64) guidance 7.5
}

func ExampleTask_FromPretrained() {
	ctx := context.Background()
	for _, task := range []autopipeline.Task{autopipeline.Text2Image, autopipeline.Image2Image, autopipeline.Inpainting} {
		pipe, err := task.FromPretrained(ctx, checkpoint)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s\n", task, pipe.ClassName())
	}
	// Output:
	// text-to-image: StableDiffusionPipeline
	// image-to-image: StableDiffusionImg2ImgPipeline
	// inpainting: StableDiffusionInpaintPipeline
}

func ExampleTask_FromPipe() {
	ctx := context.Background()
	text2img, err := autopipeline.Text2Image.FromPretrained(ctx, checkpoint)
	if err != nil {
		log.Fatal(err)
	}
	img2img, err := autopipeline.Image2Image.FromPipe(text2img)
	if err != nil {
		log.Fatal(err)
	}
	// The very same component objects: nothing is copied or reloaded.
	fmt.Println(img2img.ClassName(), img2img.Components().UNet() == text2img.Components().UNet())
	out, err := img2img.Generate(ctx, autopipeline.Request{Prompt: "a watercolor", Image: gradient(64, 64), NumInferenceSteps: 4, Strength: 0.5})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Images[0].Bounds().Size(), "strength", out.Request.Strength)
	// Output:
	// StableDiffusionImg2ImgPipeline true
	// (64,64) strength 0.5
}

func ExampleWithScheduler() {
	pipe, err := autopipeline.Text2Image.FromPretrained(context.Background(), checkpoint,
		autopipeline.WithScheduler("EulerDiscreteScheduler"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pipe.Components().Scheduler().ClassName())
	// Output: EulerDiscreteScheduler
}

func ExampleWithDType() {
	// Float16 keeps the weights of the UNet, VAE, text encoders and safety
	// checker as halves (half the memory); computation is float32.
	pipe, err := autopipeline.Text2Image.FromPretrained(context.Background(), checkpoint,
		autopipeline.WithDType(autopipeline.Float16))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pipe.ClassName())
	// Output: StableDiffusionPipeline
}

func ExampleWithComponent() {
	// Leave the safety checker out, as diffusers' safety_checker=None.
	pipe, err := autopipeline.Text2Image.FromPretrained(context.Background(), checkpoint,
		autopipeline.WithComponent("safety_checker", nil), autopipeline.WithConfig("requires_safety_checker", false))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pipe.Components().SafetyChecker() == nil)
	_, err = autopipeline.Text2Image.FromPretrained(context.Background(), checkpoint, autopipeline.WithComponent("unet2", nil))
	fmt.Println(err != nil)
	// Output:
	// true
	// true
}

func ExampleWithDefaults() {
	ctx := context.Background()
	pipe, err := autopipeline.Text2Image.FromPretrained(ctx, checkpoint,
		autopipeline.WithDefaults(autopipeline.Request{NumInferenceSteps: 3, GuidanceScale: 9}))
	if err != nil {
		log.Fatal(err)
	}
	out, err := pipe.Generate(ctx, autopipeline.Request{Prompt: "a lighthouse"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Request.NumInferenceSteps, out.Request.GuidanceScale)
	// Output: 3 9
}

func ExampleRequest_noGuidance() {
	// Turbo model cards use guidance_scale=0.0: NoGuidance says so (a zero
	// GuidanceScale would mean the default, 7.5).
	ctx := context.Background()
	pipe, err := autopipeline.Text2Image.FromPretrained(ctx, checkpoint)
	if err != nil {
		log.Fatal(err)
	}
	var evaluations int
	out, err := pipe.Generate(ctx, autopipeline.Request{Prompt: "a fox", NumInferenceSteps: 1,
		GuidanceScale: autopipeline.NoGuidance, Callback: func(step, total int) { evaluations = total }})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(out.Images), evaluations)
	// Output: 1 1
}

func ExampleComponents() {
	pipe, err := autopipeline.Text2Image.FromPretrained(context.Background(), checkpoint)
	if err != nil {
		log.Fatal(err)
	}
	c := pipe.Components()
	c.VAE().SetTiling(true) // diffusers' pipe.vae.enable_tiling()
	fmt.Println(c.UNet().Config().InChannels, c.Scheduler().ClassName(), c.Tokenizer() != nil)
	// Output: 4 PNDMScheduler true
}

func ExampleThumbnail() {
	img := gradient(800, 600)
	thumb, err := autopipeline.Thumbnail(img, 768, 768) // PIL's image.thumbnail((768, 768))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(thumb.Bounds().Size())
	// Output: (768,576)
}

func ExampleMakeImageGrid() {
	grid, err := autopipeline.MakeImageGrid([]image.Image{gradient(8, 8), gradient(8, 8), gradient(8, 8), gradient(8, 8)}, 2, 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(grid.Bounds().Size())
	// Output: (16,16)
}

func ExampleParseParameters() {
	p, err := autopipeline.ParseParameters("a cat\nNegative prompt: blurry\nSteps: 25, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: 42, Size: 512x512")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Prompt, "|", p.NegativePrompt, "|", p.Steps, p.CFGScale, p.Seed, p.Width, p.Height)
	// Output: a cat | blurry | 25 7.5 42 512 512
}

func ExampleLoadImage() {
	path := filepath.Join(os.TempDir(), "autopipeline-load-example.png")
	defer os.Remove(path)
	if err := autopipeline.SavePNG(path, gradient(40, 30), autopipeline.Parameters{}); err != nil {
		log.Fatal(err)
	}
	img, err := autopipeline.LoadImage(context.Background(), path) // a path or an http(s) URL
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Bounds().Size())
	// Output: (40,30)
}

func gradient(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	return img
}
