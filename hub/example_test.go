package hub_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/goautopipe/diffusers/hub"
)

// Fetch an SDXL pipeline's fp16 weights, without its VAE (replaced by the
// caller), printing progress.
func ExampleClient_DownloadPipeline() {
	c := hub.NewClient(hub.WithProgress(func(p hub.Progress) {
		fmt.Printf("\r%s: %d/%d bytes", p.File, p.Done, p.Total)
	}))
	dir, err := c.DownloadPipeline(context.Background(), "stabilityai/stable-diffusion-xl-base-1.0",
		hub.WithVariant("fp16"), hub.WithSkipComponents("vae"))
	switch {
	case errors.Is(err, hub.ErrGated):
		fmt.Println("accept the model's conditions and set HF_TOKEN:", err)
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println("\npipeline in", dir) // dir/unet/diffusion_pytorch_model.fp16.safetensors, ...
	}
}

// Fetch a single file. For reproducible builds pin a revision with
// hub.WithRevision and a 40-hex commit: once cached it needs no request.
func ExampleClient_Download() {
	c := hub.NewClient()
	path, err := c.Download(context.Background(), "openai/clip-vit-large-patch14", "tokenizer_config.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(path)
}

// Offline mode resolves from the cache only; what is missing is an
// ErrNotCached error.
func ExampleWithOffline() {
	cache, _ := os.MkdirTemp("", "hub-example")
	defer os.RemoveAll(cache)
	c := hub.NewClient(hub.WithCacheDir(cache), hub.WithOffline(true))
	_, err := c.DownloadPipeline(context.Background(), "stable-diffusion-v1-5/stable-diffusion-v1-5")
	fmt.Println(errors.Is(err, hub.ErrNotCached))
	// Output: true
}

func ExampleParseRepoID() {
	id, err := hub.ParseRepoID("stabilityai/sdxl-turbo")
	fmt.Println(id.Namespace, id.Name, id.FolderName(), err)
	_, err = hub.ParseRepoID("stabilityai/sdxl--turbo")
	fmt.Println(errors.Is(err, hub.ErrInvalidRepoID))
	// Output:
	// stabilityai sdxl-turbo models--stabilityai--sdxl-turbo <nil>
	// true
}
