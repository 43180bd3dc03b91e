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

// resolved holds the per-block lists diffusers derives from the config.
type resolved struct {
	nBlocks      int
	heads        []int // num_attention_heads per down block
	crossDim     []int
	layers       []int
	tLayers      []int
	onlyCross    []bool
	groups       int
	timeEmbedDim int
	hasTextTime  bool
	addTimeDim   int
	addProjInput int
}

// isNull reports whether a raw JSON value is absent or null.
func isNull(r json.RawMessage) bool {
	t := bytes.TrimSpace(r)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

func isFalse(r json.RawMessage) bool {
	t := bytes.TrimSpace(r)
	return isNull(r) || bytes.Equal(t, []byte("false"))
}

func unsupported(key string, v any) error {
	return fmt.Errorf("config key %q: value %s is not supported", key, v)
}

// resolve validates the config and expands the int-or-list settings the
// way UNet2DConditionModel.__init__ does.
func (c *Config) resolve() (*resolved, error) {
	if err := c.checkBounds(); err != nil {
		return nil, err
	}
	for _, k := range []struct {
		key string
		v   json.RawMessage
	}{
		{"class_embed_type", c.ClassEmbedType}, {"num_class_embeds", c.NumClassEmbeds},
		{"encoder_hid_dim", c.EncoderHidDim}, {"encoder_hid_dim_type", c.EncoderHidDimType},
		{"time_embedding_act_fn", c.TimeEmbeddingActFn}, {"timestep_post_act", c.TimestepPostAct},
		{"time_cond_proj_dim", c.TimeCondProjDim}, {"cross_attention_norm", c.CrossAttentionNorm},
		{"reverse_transformer_layers_per_block", c.ReverseTransformerLayersPerBlock},
	} {
		if !isNull(k.v) {
			return nil, unsupported(k.key, string(k.v))
		}
	}
	for _, k := range []struct {
		key string
		v   json.RawMessage
	}{
		{"dual_cross_attention", c.DualCrossAttention}, {"resnet_skip_time_act", c.ResnetSkipTimeAct},
		{"class_embeddings_concat", c.ClassEmbeddingsConcat}, {"mid_block_only_cross_attention", c.MidBlockOnlyCrossAttention},
	} {
		if !isFalse(k.v) {
			return nil, unsupported(k.key, string(k.v))
		}
	}
	if c.ActFn != "silu" && c.ActFn != "swish" {
		return nil, unsupported("act_fn", fmt.Sprintf("%q", c.ActFn))
	}
	if c.ResnetTimeScaleShift != "default" {
		return nil, unsupported("resnet_time_scale_shift", fmt.Sprintf("%q", c.ResnetTimeScaleShift))
	}
	if c.TimeEmbeddingType != "positional" {
		return nil, unsupported("time_embedding_type", fmt.Sprintf("%q", c.TimeEmbeddingType))
	}
	if c.AttentionType != "default" {
		return nil, unsupported("attention_type", fmt.Sprintf("%q", c.AttentionType))
	}
	if c.ConvInKernel%2 != 1 || c.ConvOutKernel%2 != 1 {
		return nil, fmt.Errorf("config keys conv_in_kernel/conv_out_kernel: odd kernel sizes required, got %d/%d", c.ConvInKernel, c.ConvOutKernel)
	}
	if c.NormNumGroups == nil {
		return nil, unsupported("norm_num_groups", "null")
	}
	if c.InChannels <= 0 || c.OutChannels <= 0 {
		return nil, fmt.Errorf("config keys in_channels/out_channels: must be positive, got %d/%d", c.InChannels, c.OutChannels)
	}
	n := len(c.DownBlockTypes)
	r := &resolved{nBlocks: n, groups: *c.NormNumGroups}
	if n == 0 {
		return nil, fmt.Errorf("config key \"down_block_types\": empty")
	}
	if len(c.UpBlockTypes) != n {
		return nil, fmt.Errorf("config key \"up_block_types\": must have as many entries as down_block_types (%d), got %d", n, len(c.UpBlockTypes))
	}
	if len(c.BlockOutChannels) != n {
		return nil, fmt.Errorf("config key \"block_out_channels\": must have as many entries as down_block_types (%d), got %d", n, len(c.BlockOutChannels))
	}
	for _, ch := range c.BlockOutChannels {
		if ch <= 0 || ch%r.groups != 0 {
			return nil, fmt.Errorf("config key \"block_out_channels\": %v not divisible by norm_num_groups %d", c.BlockOutChannels, r.groups)
		}
	}
	expand := func(key string, l config.IntOrList) ([]int, error) {
		v, err := l.Expand(n)
		if err != nil {
			return nil, fmt.Errorf("config key %q: %d values where 1 or %d are expected", key, len(l), n)
		}
		return v, nil
	}
	var err error
	heads := c.NumAttentionHeads
	key := "num_attention_heads"
	if heads == nil {
		// diffusers: num_attention_heads = num_attention_heads or attention_head_dim
		heads, key = c.AttentionHeadDim, "attention_head_dim"
	}
	if r.heads, err = expand(key, heads); err != nil {
		return nil, err
	}
	if r.crossDim, err = expand("cross_attention_dim", c.CrossAttentionDim); err != nil {
		return nil, err
	}
	if r.layers, err = expand("layers_per_block", c.LayersPerBlock); err != nil {
		return nil, err
	}
	if r.tLayers, err = expand("transformer_layers_per_block", c.TransformerLayersPerBlock); err != nil {
		return nil, err
	}
	switch len(c.OnlyCrossAttention) {
	case 0:
		r.onlyCross = make([]bool, n)
	case 1:
		r.onlyCross = make([]bool, n)
		for i := range r.onlyCross {
			r.onlyCross[i] = c.OnlyCrossAttention[0]
		}
	case n:
		r.onlyCross = append([]bool(nil), c.OnlyCrossAttention...)
	default:
		return nil, fmt.Errorf("config key \"only_cross_attention\": %d values where 1 or %d are expected", len(c.OnlyCrossAttention), n)
	}
	r.timeEmbedDim = c.BlockOutChannels[0] * 4
	if c.TimeEmbeddingDim != nil {
		r.timeEmbedDim = *c.TimeEmbeddingDim
	}
	if c.AdditionEmbedType != nil {
		if *c.AdditionEmbedType != "text_time" {
			return nil, unsupported("addition_embed_type", fmt.Sprintf("%q", *c.AdditionEmbedType))
		}
		if c.AdditionTimeEmbedDim == nil || c.ProjectionClassEmbeddingsInputDim == nil {
			return nil, fmt.Errorf("config key \"addition_embed_type\": \"text_time\" needs addition_time_embed_dim and projection_class_embeddings_input_dim")
		}
		r.hasTextTime = true
		r.addTimeDim = *c.AdditionTimeEmbedDim
		r.addProjInput = *c.ProjectionClassEmbeddingsInputDim
	}
	for i, t := range c.DownBlockTypes {
		if _, ok := downBlocks[t]; !ok {
			return nil, fmt.Errorf("config key \"down_block_types\": block type %q not supported (supported: %s)", t, keys(downBlocks))
		}
		if r.heads[i] <= 0 || c.BlockOutChannels[i]%r.heads[i] != 0 {
			return nil, fmt.Errorf("config key %q: %d heads do not divide %d channels", key, r.heads[i], c.BlockOutChannels[i])
		}
	}
	for _, t := range c.UpBlockTypes {
		if _, ok := upBlocks[t]; !ok {
			return nil, fmt.Errorf("config key \"up_block_types\": block type %q not supported (supported: %s)", t, keys(upBlocks))
		}
	}
	if c.MidBlockType != nil {
		if _, ok := midBlocks[*c.MidBlockType]; !ok {
			return nil, fmt.Errorf("config key \"mid_block_type\": block type %q not supported (supported: %s)", *c.MidBlockType, keys(midBlocks))
		}
	}
	return r, nil
}
