package clip

import (
	"encoding/json"
	"fmt"

	"github.com/goautopipe/diffusers/internal/config"
)

// Architecture names read from config.json "architectures".
const (
	ArchTextModel               = "CLIPTextModel"
	ArchTextModelWithProjection = "CLIPTextModelWithProjection"
)

// TextConfig is the text part of a transformers CLIP config.json, with
// CLIPTextConfig's defaults for absent keys.
type TextConfig struct {
	Architectures         []string         `json:"architectures"`
	VocabSize             int              `json:"vocab_size"`
	HiddenSize            int              `json:"hidden_size"`
	IntermediateSize      int              `json:"intermediate_size"`
	ProjectionDim         int              `json:"projection_dim"`
	NumHiddenLayers       int              `json:"num_hidden_layers"`
	NumAttentionHeads     int              `json:"num_attention_heads"`
	MaxPositionEmbeddings int              `json:"max_position_embeddings"`
	HiddenAct             string           `json:"hidden_act"`
	LayerNormEps          float64          `json:"layer_norm_eps"`
	BosTokenID            int              `json:"bos_token_id"`
	EosTokenID            config.IntOrList `json:"eos_token_id"`
	PadTokenID            int              `json:"pad_token_id"`
}

// DefaultTextConfig returns transformers' CLIPTextConfig defaults.
func DefaultTextConfig() TextConfig {
	return TextConfig{
		VocabSize: 49408, HiddenSize: 512, IntermediateSize: 2048, ProjectionDim: 512,
		NumHiddenLayers: 12, NumAttentionHeads: 8, MaxPositionEmbeddings: 77,
		HiddenAct: "quick_gelu", LayerNormEps: 1e-5,
		BosTokenID: 49406, EosTokenID: config.IntOrList{49407}, PadTokenID: 1,
	}
}

// ReadTextConfig reads a config.json: a CLIPTextConfig, or a CLIPConfig whose
// "text_config" holds the text part (the top-level "architectures" is kept).
func ReadTextConfig(path string) (TextConfig, error) {
	var raw map[string]json.RawMessage
	if err := config.ReadJSON(path, &raw); err != nil {
		return TextConfig{}, fmt.Errorf("clip: %w", err)
	}
	cfg := DefaultTextConfig()
	if _, nested := raw["text_config"]; nested {
		w := struct {
			Architectures []string    `json:"architectures"`
			Text          *TextConfig `json:"text_config"`
		}{Text: &cfg}
		if err := config.ReadJSON(path, &w); err != nil {
			return TextConfig{}, fmt.Errorf("clip: %w", err)
		}
		cfg.Architectures = w.Architectures
	} else if err := config.ReadJSON(path, &cfg); err != nil {
		return TextConfig{}, fmt.Errorf("clip: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return TextConfig{}, fmt.Errorf("clip: %s: %w", path, err)
	}
	return cfg, nil
}

// Validate checks the sizes and the activation.
func (c TextConfig) Validate() error {
	if err := c.checkBounds(); err != nil {
		return err
	}
	switch {
	case c.VocabSize <= 0, c.HiddenSize <= 0, c.IntermediateSize <= 0, c.NumHiddenLayers < 0,
		c.MaxPositionEmbeddings <= 0, c.NumAttentionHeads <= 0:
		return fmt.Errorf("invalid sizes (vocab %d, hidden %d, intermediate %d, layers %d, heads %d, positions %d)",
			c.VocabSize, c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.MaxPositionEmbeddings)
	case c.HiddenSize%c.NumAttentionHeads != 0:
		return fmt.Errorf("hidden_size %d is not a multiple of num_attention_heads %d", c.HiddenSize, c.NumAttentionHeads)
	case c.LayerNormEps <= 0:
		return fmt.Errorf("layer_norm_eps %g must be positive", c.LayerNormEps)
	}
	if _, err := activation(c.HiddenAct); err != nil {
		return err
	}
	return nil
}

// WithProjection reports whether the config names CLIPTextModelWithProjection
// (true), CLIPTextModel (false); ok is false when architectures names neither.
func (c TextConfig) WithProjection() (proj, ok bool) {
	for _, a := range c.Architectures {
		switch a {
		case ArchTextModelWithProjection:
			return true, true
		case ArchTextModel:
			return false, true
		}
	}
	return false, false
}

// eos returns the end-of-text id used for pooling.
func (c TextConfig) eos() int {
	if len(c.EosTokenID) == 0 {
		return 49407
	}
	return c.EosTokenID[0]
}
