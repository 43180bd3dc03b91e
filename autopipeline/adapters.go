package autopipeline

import (
	"fmt"

	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/models/lora"
	"github.com/goautopipe/diffusers/models/textinv"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/pipelines"
)

// WithLoRA applies the LoRA file at path with weight (1: as trained; like
// diffusers' load_lora_weights + set_adapters). Repeat it for several LoRAs.
// path is a local file, a file in a Hub repo ("org/name/file.safetensors",
// or its huggingface.co URL) or a Hub repo id, whose
// pytorch_lora_weights.safetensors is read as diffusers does
// ("latent-consistency/lcm-lora-sdv1-5").
// The pipeline gets copies of the UNet and text encoders that compute the
// low-rank updates next to the shared weights: the pipeline it was made
// from (FromPipe) and generations running on it are unaffected, and no
// weight is copied.
func WithLoRA(path string, weight float64) Option {
	return func(o *options) { o.loraFiles = append(o.loraFiles, loraFile{path, weight}) }
}

// WithAdapter applies a LoRA already loaded with lora.Load (to share one
// load between pipelines) with weight.
func WithAdapter(l *lora.LoRA, weight float64) Option {
	return func(o *options) { o.loras = append(o.loras, lora.Weighted{LoRA: l, Weight: weight}) }
}

// WithFusedLoRA adds the LoRAs into copies of the weights they update
// instead of computing them as side paths (diffusers' fuse_lora): faster
// steps for the memory of the copied weights. Sibling pipelines are still
// unaffected.
func WithFusedLoRA() Option { return func(o *options) { o.fuseLoRA = true } }

// WithTextualInversion adds the embedding file at path as token ("" takes
// the token a diffusers file names, else the file name), like diffusers'
// load_textual_inversion. SDXL pair files (clip_l, clip_g) go to both text
// encoders. The pipeline gets copies of its tokenizers and text encoders;
// others sharing them are unaffected.
func WithTextualInversion(path, token string) Option {
	return func(o *options) { o.embeddings = append(o.embeddings, embeddingFile{path, token}) }
}

type loraFile struct {
	path   string
	weight float64
}

type embeddingFile struct{ path, token string }

// applyAdapters replaces the components the options' LoRAs and textual
// inversions change by adapted copies.
func applyAdapters(comps pipelines.Components, o *options) error {
	loras := o.loras
	if len(o.loraFiles) > 0 {
		return fmt.Errorf("autopipeline: WithLoRA: files not loaded") // loadLoRAs runs first
	}
	if len(loras) > 0 {
		if err := applyLoRAs(comps, loras, o.fuseLoRA); err != nil {
			return err
		}
	}
	for _, f := range o.embeddings {
		e, err := textinv.Load(f.path, f.token)
		if err != nil {
			return fmt.Errorf("autopipeline: WithTextualInversion: %w", err)
		}
		if err := applyEmbedding(comps, e); err != nil {
			return err
		}
	}
	return nil
}

func applyLoRAs(comps pipelines.Components, loras []lora.Weighted, fuse bool) error {
	apply := lora.Apply[*unet.Model]
	applyText := lora.Apply[*clip.TextModel]
	if fuse {
		apply, applyText = lora.Fuse[*unet.Model], lora.Fuse[*clip.TextModel]
	}
	if u, ok := comps["unet"].(*unet.Model); ok {
		m, err := apply(u, "unet", loras...)
		if err != nil {
			return fmt.Errorf("autopipeline: WithLoRA: %w", err)
		}
		comps["unet"] = m
	}
	for _, name := range []string{"text_encoder", "text_encoder_2"} {
		if te, ok := comps[name].(*clip.TextModel); ok {
			m, err := applyText(te, name, loras...)
			if err != nil {
				return fmt.Errorf("autopipeline: WithLoRA: %w", err)
			}
			comps[name] = m
		}
	}
	return nil
}

func applyEmbedding(comps pipelines.Components, e *textinv.Embedding) error {
	done := false
	for _, pair := range [][2]string{{"tokenizer", "text_encoder"}, {"tokenizer_2", "text_encoder_2"}} {
		tok, ok1 := comps[pair[0]].(*clip.Tokenizer)
		te, ok2 := comps[pair[1]].(*clip.TextModel)
		if !ok1 || !ok2 || !e.Has(pair[1]) {
			continue
		}
		t2, te2, err := e.Apply(pair[1], tok, te)
		if err != nil {
			return fmt.Errorf("autopipeline: WithTextualInversion: %w", err)
		}
		comps[pair[0]], comps[pair[1]] = t2, te2
		done = true
	}
	if !done {
		return fmt.Errorf("autopipeline: WithTextualInversion: %s: no text encoder of the pipeline takes it (encoders %v)", e.Token, e.Encoders())
	}
	return nil
}
