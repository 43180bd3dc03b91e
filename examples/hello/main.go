// Command hello generates one image from a prompt: the README's first
// program, with its one import.
package main

import (
	"context"
	"log"

	"github.com/goautopipe/diffusers/autopipeline"
)

func main() {
	ctx := context.Background()
	pipe, err := autopipeline.Text2Image.FromPretrained(ctx, "stable-diffusion-v1-5/stable-diffusion-v1-5",
		autopipeline.WithDType(autopipeline.Float16))
	if err != nil {
		log.Fatal(err)
	}
	out, err := pipe.Generate(ctx, autopipeline.Request{
		Prompt:            "peasant and dragon combat, wood cutting style",
		NumInferenceSteps: 25,
		Seed:              42,
	})
	if err != nil {
		log.Fatal(err)
	}
	params := autopipeline.ParametersFor(pipe, out.Request, out.Images[0])
	if err := autopipeline.SavePNG("dragon.png", out.Images[0], params); err != nil {
		log.Fatal(err)
	}
}
