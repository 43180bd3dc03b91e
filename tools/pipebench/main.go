// Command pipebench times a text-to-image generation phase by phase
// (load, prompt encoding, denoising, decoding) and reports the peak RSS,
// for comparison with tools/reference/bench_pipeline.py (diffusers).
//
//	go run ./tools/pipebench -model testdata/fullsize/sd15 -steps 20 -size 512
package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/goautopipe/diffusers/internal/procstat"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/tensor"
)

func main() {
	model := flag.String("model", "testdata/fullsize/sd15", "diffusers checkpoint folder")
	steps := flag.Int("steps", 20, "inference steps (0: load only)")
	size := flag.Int("size", 512, "image width and height")
	seed := flag.Int64("seed", 0, "seed")
	fp16 := flag.Bool("fp16", false, "load the fp16 variant with WithDType(Float16)")
	latent := flag.Bool("latent", false, "stop at the latents (no VAE decode)")
	flag.StringVar(&vaeDir, "vae", "", "autoencoder folder replacing the checkpoint's (WithVAE), e.g. a TAESD")
	flag.Float64Var(&guidance, "guidance", 0, "guidance scale (0: the pipeline's default; -1: NoGuidance)")
	bf16 := flag.Bool("bf16", false, "WithDType(BFloat16): bfloat16 Linear/Conv2D weights, bfloat16 products where the CPU has AVX512_BF16")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.StringVar(&outPNG, "out", "", "save the image as PNG (same prompt and seed as bench_pipeline.py out=PATH)")
	winograd := flag.Bool("winograd", true, "Winograd 3×3 convolutions (false: the direct product, tensor.SetWinograd)")
	scratchMiB := flag.Int64("scratch", tensor.DefaultScratchLimit>>20, "MiB of intermediate buffers kept for reuse (tensor.SetScratchLimit; 0: none)")
	flag.Parse()
	tensor.SetScratchLimit(*scratchMiB << 20)
	tensor.SetWinograd(*winograd)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*model, *steps, *size, *seed, *fp16, *bf16, *latent); err != nil {
		fmt.Fprintln(os.Stderr, "pipebench:", err)
		os.Exit(1)
	}
}

// vaeDir and guidance are the few-step options (-vae, -guidance); outPNG
// is -out.
var (
	vaeDir   string
	guidance float64
	outPNG   string
)

func run(model string, steps, size int, seed int64, fp16, bf16, latent bool) error {
	ctx := context.Background()
	var opts []autopipeline.Option
	if !isSDXL(model) { // SD classes take a safety checker, which the benchmark leaves out
		opts = append(opts, autopipeline.WithComponent("safety_checker", nil), autopipeline.WithComponent("feature_extractor", nil))
	}
	if vaeDir != "" {
		opts = append(opts, autopipeline.WithVAE(vaeDir))
	}
	if fp16 {
		opts = append(opts, autopipeline.WithDType(autopipeline.Float16), autopipeline.WithVariant("fp16"))
	}
	if bf16 {
		opts = append(opts, autopipeline.WithDType(autopipeline.BFloat16))
	}
	t0 := time.Now()
	p, err := autopipeline.Text2Image.FromPretrained(ctx, model, opts...)
	if err != nil {
		return err
	}
	load := time.Since(t0)
	if steps == 0 {
		fmt.Printf("go  %s  load %.2fs  peak RSS %s\n", p.ClassName(), load.Seconds(), peakRSS())
		return nil
	}
	var stepTimes []time.Duration
	last := time.Now()
	req := autopipeline.Request{Prompt: "a photo of an astronaut riding a horse on mars", NumInferenceSteps: steps,
		Width: size, Height: size, Seed: seed, GuidanceScale: guidance, OutputType: map[bool]string{true: "latent"}[latent], Callback: func(step, total int) {
			now := time.Now()
			stepTimes = append(stepTimes, now.Sub(last))
			last = now
		}}
	t1 := time.Now()
	last = t1
	out, err := p.Generate(ctx, req)
	if err != nil {
		return err
	}
	total := time.Since(t1)
	tm := out.Timings
	fmt.Printf("go  %s  %dx%d  %d steps (%d UNet calls)  vae %T\n", p.ClassName(), size, size, steps, len(stepTimes), p.Components()["vae"])
	fmt.Printf("go  load %.2fs  encode %.2fs  prepare %.2fs  denoise %.2fs (%.2fs/step)  decode %.2fs  total %.2fs  peak RSS %s\n",
		load.Seconds(), tm.Encode.Seconds(), tm.Prepare.Seconds(), tm.Denoise.Seconds(),
		tm.Denoise.Seconds()/float64(len(stepTimes)), tm.Decode.Seconds(), total.Seconds(), peakRSS())
	if outPNG != "" && len(out.Images) > 0 {
		if err := autopipeline.SavePNG(outPNG, out.Images[0], autopipeline.ParametersFor(p, out.Request, out.Images[0])); err != nil {
			return err
		}
	}
	if len(stepTimes) > 1 {
		// The first interval also holds the encode; the others are one
		// step each (the first step pays for touching the weights).
		var b strings.Builder
		for _, d := range stepTimes[1:] {
			fmt.Fprintf(&b, " %.2fs", d.Seconds())
		}
		fmt.Printf("go  steps after the first:%s\n", b.String())
	}
	return nil
}

// peakRSS reads VmHWM (and the current anonymous / file-backed split) from
// /proc/self/status (Linux).
func peakRSS() string {
	return procstat.PeakRSS() + " (now: anon " + procstat.String("RssAnon") + ", file " + procstat.String("RssFile") + ")"
}

// isSDXL reports whether the checkpoint folder's pipeline class is an SDXL one.
func isSDXL(model string) bool {
	b, err := os.ReadFile(filepath.Join(model, "model_index.json"))
	return err == nil && strings.Contains(string(b), "StableDiffusionXL")
}
