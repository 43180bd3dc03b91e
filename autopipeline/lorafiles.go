package autopipeline

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/goautopipe/diffusers/hub"
	"github.com/goautopipe/diffusers/models/lora"
)

// loraWeightName is the file diffusers' load_lora_weights reads from a Hub
// repo when no weight_name is given.
const loraWeightName = "pytorch_lora_weights.safetensors"

// loadLoRAs loads WithLoRA's files (after WithAdapter's LoRAs, in order),
// downloading those named on the Hub.
func (o *options) loadLoRAs(ctx context.Context) error {
	for _, f := range o.loraFiles {
		p, err := o.loraPath(ctx, f.path)
		if err != nil {
			return fmt.Errorf("autopipeline: WithLoRA: %s: %w", f.path, err)
		}
		l, err := lora.Load(p)
		if err != nil {
			return fmt.Errorf("autopipeline: WithLoRA: %w", err)
		}
		o.loras = append(o.loras, lora.Weighted{LoRA: l, Weight: f.weight})
	}
	o.loraFiles = nil
	return nil
}

// loraPath returns the local path of a LoRA: name itself when it exists or
// names nothing on the Hub (lora.Load then reports it), else the
// downloaded file of "org/name/file.safetensors", a huggingface.co URL or
// a repo id ("org/name": its pytorch_lora_weights.safetensors).
func (o *options) loraPath(ctx context.Context, name string) (string, error) {
	if _, err := os.Stat(name); err == nil {
		return name, nil
	}
	repo, file, rev, ok := hubFile(name)
	if !ok {
		if _, err := hub.ParseRepoID(name); err != nil || strings.Count(name, "/") != 1 {
			return name, nil
		}
		repo, file = name, loraWeightName
	}
	return o.download(ctx, repo, file, rev)
}
