package unet

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/goautopipe/diffusers/internal/config"
)

// Config is the typed config.json of a diffusers UNet2DConditionModel.
// Keys absent from the file take diffusers' defaults (see DefaultConfig).
type Config struct {
	SampleSize                        config.IntOrList `json:"sample_size"`
	InChannels                        int              `json:"in_channels"`
	OutChannels                       int              `json:"out_channels"`
	CenterInputSample                 bool             `json:"center_input_sample"`
	FlipSinToCos                      bool             `json:"flip_sin_to_cos"`
	FreqShift                         float64          `json:"freq_shift"`
	DownBlockTypes                    []string         `json:"down_block_types"`
	MidBlockType                      *string          `json:"mid_block_type"`
	UpBlockTypes                      []string         `json:"up_block_types"`
	OnlyCrossAttention                BoolOrList       `json:"only_cross_attention"`
	BlockOutChannels                  []int            `json:"block_out_channels"`
	LayersPerBlock                    config.IntOrList `json:"layers_per_block"`
	DownsamplePadding                 int              `json:"downsample_padding"`
	MidBlockScaleFactor               float64          `json:"mid_block_scale_factor"`
	ActFn                             string           `json:"act_fn"`
	NormNumGroups                     *int             `json:"norm_num_groups"`
	NormEps                           float64          `json:"norm_eps"`
	CrossAttentionDim                 config.IntOrList `json:"cross_attention_dim"`
	TransformerLayersPerBlock         config.IntOrList `json:"transformer_layers_per_block"`
	AttentionHeadDim                  config.IntOrList `json:"attention_head_dim"`
	NumAttentionHeads                 config.IntOrList `json:"num_attention_heads"`
	UseLinearProjection               bool             `json:"use_linear_projection"`
	UpcastAttention                   bool             `json:"upcast_attention"`
	ResnetTimeScaleShift              string           `json:"resnet_time_scale_shift"`
	ResnetOutScaleFactor              float64          `json:"resnet_out_scale_factor"`
	TimeEmbeddingType                 string           `json:"time_embedding_type"`
	TimeEmbeddingDim                  *int             `json:"time_embedding_dim"`
	ConvInKernel                      int              `json:"conv_in_kernel"`
	ConvOutKernel                     int              `json:"conv_out_kernel"`
	AdditionEmbedType                 *string          `json:"addition_embed_type"`
	AdditionTimeEmbedDim              *int             `json:"addition_time_embed_dim"`
	ProjectionClassEmbeddingsInputDim *int             `json:"projection_class_embeddings_input_dim"`
	AttentionType                     string           `json:"attention_type"`

	// Keys whose non-default values this package does not implement; they
	// are read only to refuse them with an error naming the key.
	ClassEmbedType                   json.RawMessage `json:"class_embed_type"`
	NumClassEmbeds                   json.RawMessage `json:"num_class_embeds"`
	EncoderHidDim                    json.RawMessage `json:"encoder_hid_dim"`
	EncoderHidDimType                json.RawMessage `json:"encoder_hid_dim_type"`
	DualCrossAttention               json.RawMessage `json:"dual_cross_attention"`
	ResnetSkipTimeAct                json.RawMessage `json:"resnet_skip_time_act"`
	TimeEmbeddingActFn               json.RawMessage `json:"time_embedding_act_fn"`
	TimestepPostAct                  json.RawMessage `json:"timestep_post_act"`
	TimeCondProjDim                  json.RawMessage `json:"time_cond_proj_dim"`
	ClassEmbeddingsConcat            json.RawMessage `json:"class_embeddings_concat"`
	CrossAttentionNorm               json.RawMessage `json:"cross_attention_norm"`
	ReverseTransformerLayersPerBlock json.RawMessage `json:"reverse_transformer_layers_per_block"`
	MidBlockOnlyCrossAttention       json.RawMessage `json:"mid_block_only_cross_attention"`
}

// BoolOrList is a JSON boolean or a list of booleans (only_cross_attention).
type BoolOrList []bool

// UnmarshalJSON implements json.Unmarshaler.
func (l *BoolOrList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '[':
		var v []bool
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("want a boolean or a list of booleans, got %s", b)
		}
		*l = v
		return nil
	}
	var v bool
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("want a boolean or a list of booleans, got %s", b)
	}
	*l = BoolOrList{v}
	return nil
}

func strp(s string) *string { return &s }
func intp(i int) *int       { return &i }

// DefaultConfig returns diffusers' UNet2DConditionModel defaults.
func DefaultConfig() Config {
	return Config{
		InChannels:                4,
		OutChannels:               4,
		FlipSinToCos:              true,
		DownBlockTypes:            []string{"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"},
		MidBlockType:              strp("UNetMidBlock2DCrossAttn"),
		UpBlockTypes:              []string{"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"},
		OnlyCrossAttention:        BoolOrList{false},
		BlockOutChannels:          []int{320, 640, 1280, 1280},
		LayersPerBlock:            config.IntOrList{2},
		DownsamplePadding:         1,
		MidBlockScaleFactor:       1,
		ActFn:                     "silu",
		NormNumGroups:             intp(32),
		NormEps:                   1e-5,
		CrossAttentionDim:         config.IntOrList{1280},
		TransformerLayersPerBlock: config.IntOrList{1},
		AttentionHeadDim:          config.IntOrList{8},
		ResnetTimeScaleShift:      "default",
		ResnetOutScaleFactor:      1,
		TimeEmbeddingType:         "positional",
		ConvInKernel:              3,
		ConvOutKernel:             3,
		AttentionType:             "default",
	}
}

// ReadConfig reads a UNet config.json over diffusers' defaults and checks
// that every setting is supported.
func ReadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if err := config.ReadJSON(path, &c); err != nil {
		return c, fmt.Errorf("unet: %w", err)
	}
	if _, err := c.resolve(); err != nil {
		return c, fmt.Errorf("unet: %s: %w", path, err)
	}
	return c, nil
}
