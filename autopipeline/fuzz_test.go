package autopipeline_test

import (
	"context"
	"encoding/binary"
	"image"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
)

var (
	fuzzOnce  sync.Once
	fuzzPipes [2]autopipeline.Pipeline
)

// floatsFrom reads up to 64 float64 values from b (8 bytes each).
func floatsFrom(b []byte) []float64 {
	var out []float64
	for len(b) >= 8 && len(out) < 64 {
		out = append(out, math.Float64frombits(binary.LittleEndian.Uint64(b)))
		b = b[8:]
	}
	return out
}

// FuzzRequestValidation sends arbitrary requests through Generate with
// limits that refuse every request before its first allocation: every
// field combination must come back as a request error (no panic, no
// internal error), and none may start a generation.
//
//	go test ./autopipeline -run '^$' -fuzz FuzzRequestValidation -fuzztime 2m
func FuzzRequestValidation(f *testing.F) {
	f.Add("a cat", "", 512, 512, 50, 1, 7.5, 0.8, 0.0, []byte{}, []byte{}, 0, 0, false)
	f.Add("", "x", -1, 65536, 0, 1<<30, math.Inf(1), math.NaN(), 1.0, []byte{1, 2, 3, 4, 5, 6, 7, 8}, []byte{}, 16, 16, true)
	f.Add("a\nNegative prompt: b", "", math.MaxInt, 8, 1<<40, 0, -1.0, 2.0, math.NaN(), []byte{}, make([]byte, 16), -5, 1<<20, true)
	f.Fuzz(func(t *testing.T, prompt, negative string, width, height, steps, images int,
		guidance, strength, eta float64, ts, sigmas []byte, imgW, imgH int, img2img bool) {
		fuzzOnce.Do(func() { fuzzPipes[0], fuzzPipes[1] = tinyPipes(t) })
		r := autopipeline.Request{Prompt: prompt, NegativePrompt: negative, Width: width, Height: height,
			NumInferenceSteps: steps, NumImagesPerPrompt: images, GuidanceScale: guidance, Strength: strength,
			Eta: eta, Timesteps: floatsFrom(ts), Sigmas: floatsFrom(sigmas)}
		pipe := fuzzPipes[0]
		if img2img {
			pipe = fuzzPipes[1]
			if imgW > 0 && imgH > 0 && int64(imgW)*int64(imgH) <= 1<<16 {
				r.Image = image.NewNRGBA(image.Rect(0, 0, imgW, imgH))
			} else {
				r.Image = image.NewNRGBA(image.Rect(0, 0, imgW%1000, imgH%1000))
			}
		}
		ctx := autopipeline.ContextWithLimits(context.Background(), autopipeline.Limits{MaxBytes: 1})
		_, err := pipe.Generate(ctx, r)
		if err == nil {
			t.Fatalf("a request passed limits that refuse every request: %+v", r)
		}
		if strings.Contains(err.Error(), "internal error") {
			t.Fatalf("panic: %v", err)
		}
	})
}
