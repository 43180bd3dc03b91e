// Package autopipeline is diffusers' AutoPipeline in Go: name a task and a
// checkpoint, get the right pipeline.
//
// A checkpoint is a diffusers folder or a Hugging Face Hub repo id. The
// task's FromPretrained reads model_index.json first, finds the
// checkpoint's family from its _class_name (Stable Diffusion 1.x/2.x or
// SDXL), picks the family's class for the task, and only then loads the
// weights of the components that class takes. FromPipe turns a loaded
// pipeline into another task's pipeline sharing the very same component
// objects. Everything runs in Go on the CPU, and the same seed gives the
// same image as diffusers with torch.Generator("cpu").manual_seed(seed).
//
// This is the one package a program needs:
//
//	ctx := context.Background()
//	pipe, err := autopipeline.Text2Image.FromPretrained(ctx, "stable-diffusion-v1-5/stable-diffusion-v1-5",
//		autopipeline.WithDType(autopipeline.Float16))
//	if err != nil {
//		log.Fatal(err)
//	}
//	out, err := pipe.Generate(ctx, autopipeline.Request{
//		Prompt:            "peasant and dragon combat, wood cutting style",
//		NumInferenceSteps: 25,
//		Seed:              42,
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	params := autopipeline.ParametersFor(pipe, out.Request, out.Images[0])
//	if err := autopipeline.SavePNG("dragon.png", out.Images[0], params); err != nil {
//		log.Fatal(err)
//	}
//
//	// Image-to-image from the same UNet, VAE and text encoder objects.
//	img2img, err := autopipeline.Image2Image.FromPipe(pipe)
//
// # Requests
//
// A Request is a plain struct whose zero fields mean the pipeline's
// default (diffusers' defaults: 50 steps, guidance 7.5 or 5.0 for SDXL,
// the UNet's sample size). Where diffusers' meaningful value is zero the
// field says how to ask for it: GuidanceScale: NoGuidance is
// guidance_scale=0.0 (CFG off, as the Turbo model cards use); Seed 0 is
// seed 0. Output.Request is the request as it ran, every default filled in.
// Bad requests fail before any work with an error matching
// ErrInvalidRequest and diffusers' message.
//
// # Options
//
// FromPretrained and FromPipe take options: WithDType (weight precision,
// like torch_dtype), WithVariant ("fp16" files), WithScheduler (swap the
// scheduler class, like from_config), WithConfig, WithComponent (replace
// or drop a component), WithDefaults (call defaults), and for the Hub
// WithRevision, WithOffline, WithDownloadProgress and WithHubOptions
// (token, cache folder, endpoint; HF_TOKEN, HF_HOME, HF_HUB_OFFLINE are
// honoured as huggingface_hub does).
//
// # Components
//
// Pipeline.Components gives the component objects with typed accessors,
// for what diffusers does through pipe.vae, pipe.unet, pipe.scheduler:
//
//	pipe.Components().VAE().SetTiling(true)
//
// # Images
//
// LoadImage, Thumbnail, MakeImageGrid, SavePNG (with the generation
// parameters in the "parameters" text chunk A1111 reads) and
// ParseParameters are the counterparts of diffusers.utils and PIL calls in
// diffusers' examples.
package autopipeline
