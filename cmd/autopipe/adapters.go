package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/goautopipe/diffusers/autopipeline"
)

// loraFlag collects repeated --lora file[:weight] flags.
type loraFlag []autopipeline.Option

func (l *loraFlag) String() string { return "" }

func (l *loraFlag) Set(v string) error {
	path, weight := v, 1.0
	if i := strings.LastIndex(v, ":"); i > 0 {
		if w, err := strconv.ParseFloat(v[i+1:], 64); err == nil {
			if math.IsNaN(w) || math.IsInf(w, 0) || math.Abs(w) > 100 {
				return fmt.Errorf("weight %s out of range", v[i+1:])
			}
			path, weight = v[:i], w
		}
	}
	if path == "" {
		return fmt.Errorf("no LoRA file")
	}
	*l = append(*l, autopipeline.WithLoRA(path, weight))
	return nil
}

// embeddingFlag collects repeated --textual_inversion file[:token] flags.
type embeddingFlag []autopipeline.Option

func (e *embeddingFlag) String() string { return "" }

func (e *embeddingFlag) Set(v string) error {
	path, token := v, ""
	if i := strings.LastIndex(v, ":"); i > 0 && !strings.ContainsAny(v[i+1:], `/\`) {
		path, token = v[:i], v[i+1:]
	}
	if path == "" {
		return fmt.Errorf("no embedding file")
	}
	*e = append(*e, autopipeline.WithTextualInversion(path, token))
	return nil
}

// isSingleFile reports whether --model names a single-file checkpoint
// (a .safetensors file, locally, in a Hub repo or as a huggingface.co URL).
func isSingleFile(model string) bool {
	return strings.HasSuffix(strings.ToLower(model), ".safetensors") || strings.HasPrefix(model, "https://huggingface.co/")
}
