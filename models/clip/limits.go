package clip

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/internal/limits"
)

// maxModelMaxLength is the largest model_max_length taken as a length;
// above it the value is transformers' "no limit" marker (int(1e30)) and the
// default applies.
const maxModelMaxLength = 1 << 20

// modelMaxLength decodes tokenizer_config.json's model_max_length: a length
// of at least 2 (room for the start and end tokens), or a huge value meaning
// "unset". Zero, negative, fractional and non-finite values are errors.
func modelMaxLength(raw json.RawMessage) (int, error) {
	var f float64
	if err := config.Unmarshal(raw, &f); err != nil {
		return 0, err
	}
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0, fmt.Errorf("%v is not finite", f)
	case f < 2:
		return 0, fmt.Errorf("%v is below 2 (the start and end tokens need room)", f)
	case f > maxModelMaxLength:
		return DefaultModelMaxLength, nil
	case f != math.Trunc(f):
		return 0, fmt.Errorf("%v is not an integer", f)
	}
	return int(f), nil
}

// checkBounds refuses counts, sizes and floats no CLIP text model uses
// before any of them sizes an allocation.
func (c TextConfig) checkBounds() error {
	l := limits.MaxChannels
	return limits.First(
		limits.Int("vocab_size", c.VocabSize, 1, limits.MaxVocab),
		limits.Int("hidden_size", c.HiddenSize, 1, l),
		limits.Int("intermediate_size", c.IntermediateSize, 1, 4*l),
		limits.Int("projection_dim", c.ProjectionDim, 0, l),
		limits.Int("num_hidden_layers", c.NumHiddenLayers, 0, limits.MaxLayers),
		limits.Int("num_attention_heads", c.NumAttentionHeads, 1, limits.MaxHeads),
		limits.Int("max_position_embeddings", c.MaxPositionEmbeddings, 1, limits.MaxPositions),
		limits.Float("layer_norm_eps", c.LayerNormEps, 0, 1),
		limits.Positive("layer_norm_eps", c.LayerNormEps),
	)
}
