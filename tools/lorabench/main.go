// Command lorabench measures the cost of an unfused LoRA per denoising
// step: one UNet forward pass (batch 2, as with classifier-free guidance)
// without a LoRA and with a random rank-r LoRA on every attention
// projection (to_q, to_k, to_v, to_out.0), interleaved.
//
//	go run ./tools/lorabench -dir /tmp/sfbench/sd15/unet -rank 32 -steps 3
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/goautopipe/diffusers/models/lora"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

func main() {
	dir := flag.String("dir", "testdata/fullsize/sd15/unet", "UNet folder")
	rank := flag.Int("rank", 32, "LoRA rank")
	steps := flag.Int("steps", 3, "timed forward passes of each kind")
	size := flag.Int("latent", 64, "latent height and width (64: 512x512 images)")
	fuse := flag.Bool("fuse", false, "also time the fused LoRA")
	flag.Parse()
	if err := run(*dir, *rank, *steps, *size, *fuse); err != nil {
		fmt.Fprintln(os.Stderr, "lorabench:", err)
		os.Exit(1)
	}
}

func run(dir string, rank, steps, size int, fuse bool) error {
	m, err := unet.Load(dir, weights.OpenOptions{})
	if err != nil {
		return err
	}
	l, n, err := randomLoRA(filepath.Join(dir, "diffusion_pytorch_model.safetensors"), rank)
	if err != nil {
		return err
	}
	t0 := time.Now()
	withLoRA, err := lora.Apply(m, "unet", lora.Weighted{LoRA: l, Weight: 1})
	if err != nil {
		return err
	}
	applied := time.Since(t0)
	models := map[string]*unet.Model{"none": m, "lora": withLoRA}
	order := []string{"none", "lora"}
	if fuse {
		if models["fused"], err = lora.Fuse(m, "unet", lora.Weighted{LoRA: l, Weight: 1}); err != nil {
			return err
		}
		order = append(order, "fused")
	}
	cfg := m.Config()
	rng := rand.New(rand.NewPCG(1, 2))
	x := randn(rng, 2, cfg.InChannels, size, size)
	ctxDim, _ := cfg.CrossAttentionDim.Single()
	c := randn(rng, 2, 77, ctxDim)
	times := map[string][]float64{}
	for s := 0; s <= steps; s++ { // step 0 warms up
		for _, k := range order {
			t0 := time.Now()
			if _, err := models[k].Forward(context.Background(), x, []float32{500, 500}, c, nil); err != nil {
				return err
			}
			if s > 0 {
				times[k] = append(times[k], time.Since(t0).Seconds())
			}
		}
	}
	fmt.Printf("go  UNet forward, batch 2, latent %dx%d, LoRA rank %d on %d attention projections (lora.Apply: %v):\n", size, size, rank, n, applied)
	base := median(times["none"])
	for _, k := range order {
		fmt.Printf("    %-5s median %.2fs per step (%.3fx)  %v\n", k, median(times[k]), median(times[k])/base, times[k])
	}
	return nil
}

// randomLoRA makes a PEFT-layout LoRA of the given rank for every attention
// projection of the UNet file.
func randomLoRA(file string, rank int) (*lora.LoRA, int, error) {
	src, err := weights.Open(file)
	if err != nil {
		return nil, 0, err
	}
	defer src.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	ms := weights.MapSource{}
	n := 0
	for _, name := range src.Names() {
		base, ok := strings.CutSuffix(name, ".weight")
		if !ok || !(strings.HasSuffix(base, ".to_q") || strings.HasSuffix(base, ".to_k") ||
			strings.HasSuffix(base, ".to_v") || strings.HasSuffix(base, ".to_out.0")) {
			continue
		}
		info, _ := src.Info(name)
		ms["unet."+base+".lora_A.weight"] = randn(rng, rank, info.Shape[1])
		ms["unet."+base+".lora_B.weight"] = randn(rng, info.Shape[0], rank)
		n++
	}
	l, err := lora.Parse(ms, nil)
	return l, n, err
}

func randn(rng *rand.Rand, shape ...int) *tensor.Dense {
	k := 1
	for _, d := range shape {
		k *= d
	}
	v := make([]float32, k)
	for i := range v {
		v[i] = float32(rng.NormFloat64()) * 0.01
	}
	return tensor.FromSlice(v, shape...)
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
