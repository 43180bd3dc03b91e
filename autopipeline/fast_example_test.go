package autopipeline_test

import (
	"context"
	"fmt"
	"log"

	"github.com/goautopipe/diffusers/autopipeline"
)

// A turbo checkpoint with the tiny autoencoder: one step, guidance off, as
// the SD-Turbo model card runs it ("stabilityai/sd-turbo" and
// "madebyollin/taesd" on the Hub; tiny stand-ins here).
func ExampleWithVAE() {
	ctx := context.Background()
	pipe, err := autopipeline.Text2Image.FromPretrained(ctx, "../testdata/tiny-sd-turbo", autopipeline.WithVAE("../testdata/tiny-taesd"))
	if err != nil {
		log.Fatal(err)
	}
	out, err := pipe.Generate(ctx, autopipeline.Request{Prompt: "a racoon in a robe", NumInferenceSteps: 1, GuidanceScale: autopipeline.NoGuidance})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s with %T: %v, %d UNet call\n", pipe.ClassName(), pipe.Components()["vae"], out.Images[0].Bounds().Size(), out.Request.NumInferenceSteps)
	// Output: StableDiffusionPipeline with *vae.AutoencoderTiny: (64,64), 1 UNet call
}

// A latent consistency checkpoint runs with diffusers' defaults: 4 steps,
// guidance 8.5 given to the UNet as an embedding (no second batch).
func ExampleFromPipeAs() {
	ctx := context.Background()
	lcm, err := autopipeline.Text2Image.FromPretrained(ctx, "../testdata/tiny-lcm")
	if err != nil {
		log.Fatal(err)
	}
	out, err := lcm.Generate(ctx, autopipeline.Request{Prompt: "a cyborg, oil painting"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(lcm.ClassName(), out.Request.NumInferenceSteps, out.Request.GuidanceScale)
	// The same components as an SD image-to-image pipeline.
	sd, err := autopipeline.FromPipeAs("StableDiffusionImg2ImgPipeline", lcm)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sd.ClassName(), sd.Components().UNet() == lcm.Components().UNet())
	// Output:
	// LatentConsistencyModelPipeline 4 8.5
	// StableDiffusionImg2ImgPipeline true
}
