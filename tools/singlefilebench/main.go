// Command singlefilebench times loading the UNet, VAE and text encoder of a
// Stable Diffusion checkpoint from a single-file checkpoint or from its
// diffusers folder, and reports the peak RSS, for comparison with
// tools/reference/bench_singlefile.py (diffusers' from_single_file and
// from_pretrained). Inputs: tools/reference/singlefile_fullsize.py.
//
//	go run ./tools/singlefilebench -file /tmp/sfbench/sd15.safetensors
//	go run ./tools/singlefilebench -file /tmp/sfbench/sd15.fp16.safetensors -half
//	go run ./tools/singlefilebench -dir /tmp/sfbench/sd15 [-variant fp16 -half]
package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/goautopipe/diffusers/internal/procstat"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/goautopipe/diffusers/internal/parallel"
	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/models/singlefile"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/vae"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

func main() {
	file := flag.String("file", "", "single-file checkpoint")
	dir := flag.String("dir", "", "diffusers folder (unet, vae, text_encoder)")
	variant := flag.String("variant", "", "folder weights variant, e.g. fp16")
	half := flag.Bool("half", false, "keep Linear/Conv2D weights as float16 (WithDType(Float16))")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		stop, err := startProfile(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "singlefilebench:", err)
			os.Exit(1)
		}
		defer stop()
	}
	p := tensor.Float32
	if *half {
		p = tensor.Float16
	}
	t0 := time.Now()
	var err error
	what := ""
	if *file != "" {
		what = "singlefile.Load " + *file
		_, err = singlefile.Load(context.Background(), *file, singlefile.Options{Precision: p})
	} else {
		what = "folder " + *dir + " variant=" + *variant
		err = loadFolder(*dir, weights.OpenOptions{Variant: *variant, Precision: p})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "singlefilebench:", err)
		os.Exit(1) //nolint:gocritic // the profile of a failed load is of no use
	}
	fmt.Printf("go  %s half=%v: %.2fs  peak RSS %s\n", what, *half, time.Since(t0).Seconds(), procstat.PeakRSS())
}

// loadFolder loads the components a single file holds, at once, as
// FromPretrained does.
func loadFolder(dir string, o weights.OpenOptions) error {
	loaders := []func() error{
		func() error { _, err := unet.Load(filepath.Join(dir, "unet"), o); return err },
		func() error { _, err := vae.Load(filepath.Join(dir, "vae"), o); return err },
		func() error { _, err := clip.LoadTextModel(filepath.Join(dir, "text_encoder"), o); return err },
		// A single file's load builds the tokenizer too.
		func() error { _, err := clip.LoadTokenizer(filepath.Join(dir, "tokenizer")); return err },
	}
	errs := make([]error, len(loaders))
	parallel.For(len(loaders), func(i int) { errs[i] = loaders[i]() })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// startProfile starts a CPU profile written to path; the returned function
// stops it.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
