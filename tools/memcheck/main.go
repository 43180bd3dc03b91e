// Command memcheck compares the memory limits.Estimate predicts for a
// request with the peak resident memory a generation actually adds (Linux
// VmHWM), one request per process run.
//
//	go run ./tools/memcheck -model testdata/tiny-sd -size 512 -images 2
package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/goautopipe/diffusers/internal/procstat"
	"log"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/limits"
)

func main() {
	model := flag.String("model", "testdata/tiny-sd", "diffusers folder")
	size := flag.Int("size", 512, "width and height")
	images := flag.Int("images", 1, "images per prompt")
	steps := flag.Int("steps", 2, "inference steps")
	flag.Parse()
	ctx := context.Background()
	p, err := autopipeline.Text2Image.FromPretrained(ctx, *model, autopipeline.WithConfig("requires_safety_checker", false))
	if err != nil {
		log.Fatal(err)
	}
	u, v := p.Components().UNet().Config(), p.Components().VAE().Config()
	shape := limits.Shape{LatentChannels: u.InChannels, VAEScale: v.DownFactor(), UNetChannels: u.BlockOutChannels,
		VAEChannels: v.BlockOutChannels, TextTokens: 77, TextHidden: u.CrossAttentionDim[0]}
	est := limits.Estimate(shape, limits.Request{Images: *images, Width: *size, Height: *size, Guidance: true})
	runtime.GC()
	debug.FreeOSMemory()
	base := procstat.Bytes("VmRSS")
	resetPeak()
	req := autopipeline.Request{Prompt: "a cat", Width: *size, Height: *size, NumImagesPerPrompt: *images, NumInferenceSteps: *steps}
	if _, err := p.Generate(ctx, req); err != nil {
		log.Fatal(err)
	}
	peak := procstat.Bytes("VmHWM")
	fmt.Printf("%s %dx%d x%d: estimate %.1f MiB, measured peak %.1f MiB above the loaded pipeline (ratio %.2f)\n",
		*model, *size, *size, *images, mib(est), mib(peak-base), float64(est)/float64(peak-base))
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// resetPeak resets VmHWM to the current RSS (Linux 4.0+).
func resetPeak() {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		log.Printf("cannot reset the peak (%v); the figure includes loading", err)
	}
}
