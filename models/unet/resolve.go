package unet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/goautopipe/diffusers/internal/config"
)

// addition is the kind of added conditioning (addition_embed_type).
type addition int

const (
	additionNone     addition = iota // null: timestep embedding only
	additionTextTime                 // "text_time": SDXL's pooled text and time ids
)

// resolved holds the per-block lists diffusers derives from the config.
type resolved struct {
	nBlocks      int
	heads        []int // num_attention_heads per down block
	headsKey     string
	crossDim     []int // cross_attention_dim per down block
	layers       []int // layers_per_block per down block
	tLayers      []int // transformer_layers_per_block per down block
	onlyCross    []bool
	groups       int
	timeEmbedDim int
	addition     addition
	addTimeDim   int // addition_time_embed_dim (text_time)
	addProjInput int // projection_class_embeddings_input_dim (text_time)
}

// resolve validates the config and expands the int-or-list settings the
// way UNet2DConditionModel.__init__ does.
func (c *Config) resolve() (*resolved, error) {
	if err := c.checkBounds(); err != nil {
		return nil, err
	}
	if err := c.checkSupported(); err != nil {
		return nil, err
	}
	if err := c.checkSizes(); err != nil {
		return nil, err
	}
	r := &resolved{nBlocks: len(c.DownBlockTypes), groups: *c.NormNumGroups, timeEmbedDim: c.timeEmbedDim()}
	for _, step := range []func(*resolved) error{c.expandPerBlock, c.resolveAddition, c.checkBlockTypes} {
		if err := step(r); err != nil {
			return nil, err
		}
	}
	return r, nil
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

// rawKey is a config key read only to refuse any value but its default.
type rawKey struct {
	key string
	v   json.RawMessage
}

// checkSupported refuses the settings this package does not implement.
func (c *Config) checkSupported() error {
	for _, k := range []rawKey{
		{"class_embed_type", c.ClassEmbedType}, {"num_class_embeds", c.NumClassEmbeds},
		{"encoder_hid_dim", c.EncoderHidDim}, {"encoder_hid_dim_type", c.EncoderHidDimType},
		{"time_embedding_act_fn", c.TimeEmbeddingActFn}, {"timestep_post_act", c.TimestepPostAct},
		{"cross_attention_norm", c.CrossAttentionNorm},
		{"reverse_transformer_layers_per_block", c.ReverseTransformerLayersPerBlock},
	} {
		if !isNull(k.v) {
			return unsupported(k.key, string(k.v))
		}
	}
	for _, k := range []rawKey{
		{"dual_cross_attention", c.DualCrossAttention}, {"resnet_skip_time_act", c.ResnetSkipTimeAct},
		{"class_embeddings_concat", c.ClassEmbeddingsConcat}, {"mid_block_only_cross_attention", c.MidBlockOnlyCrossAttention},
	} {
		if !isFalse(k.v) {
			return unsupported(k.key, string(k.v))
		}
	}
	return c.checkStrings()
}

// checkStrings refuses the string settings with values other than the
// implemented ones.
func (c *Config) checkStrings() error {
	for _, k := range []struct {
		key, value string
		ok         []string
	}{
		{"act_fn", c.ActFn, []string{"silu", "swish"}},
		{"resnet_time_scale_shift", c.ResnetTimeScaleShift, []string{"default"}},
		{"time_embedding_type", c.TimeEmbeddingType, []string{"positional"}},
		{"attention_type", c.AttentionType, []string{"default"}},
	} {
		if !slices.Contains(k.ok, k.value) {
			return unsupported(k.key, fmt.Sprintf("%q", k.value))
		}
	}
	return nil
}

// checkSizes checks the kernel sizes, channel counts and list lengths.
func (c *Config) checkSizes() error {
	if c.ConvInKernel%2 != 1 || c.ConvOutKernel%2 != 1 {
		return fmt.Errorf("config keys conv_in_kernel/conv_out_kernel: odd kernel sizes required, got %d/%d", c.ConvInKernel, c.ConvOutKernel)
	}
	if c.NormNumGroups == nil {
		return unsupported("norm_num_groups", "null")
	}
	if c.InChannels <= 0 || c.OutChannels <= 0 {
		return fmt.Errorf("config keys in_channels/out_channels: must be positive, got %d/%d", c.InChannels, c.OutChannels)
	}
	n := len(c.DownBlockTypes)
	if n == 0 {
		return fmt.Errorf("config key \"down_block_types\": empty")
	}
	if len(c.UpBlockTypes) != n {
		return fmt.Errorf("config key \"up_block_types\": must have as many entries as down_block_types (%d), got %d", n, len(c.UpBlockTypes))
	}
	if len(c.BlockOutChannels) != n {
		return fmt.Errorf("config key \"block_out_channels\": must have as many entries as down_block_types (%d), got %d", n, len(c.BlockOutChannels))
	}
	for _, ch := range c.BlockOutChannels {
		if ch <= 0 || ch%*c.NormNumGroups != 0 {
			return fmt.Errorf("config key \"block_out_channels\": %v not divisible by norm_num_groups %d", c.BlockOutChannels, *c.NormNumGroups)
		}
	}
	return nil
}

// timeEmbedDim is time_embedding_dim, by default 4 × block_out_channels[0].
func (c *Config) timeEmbedDim() int {
	if c.TimeEmbeddingDim != nil {
		return *c.TimeEmbeddingDim
	}
	return c.BlockOutChannels[0] * 4
}

// headsSetting is the setting that holds the head counts, and its key:
// diffusers reads num_attention_heads or, when absent, attention_head_dim
// (which SD 1.x configs use for the head count).
func (c *Config) headsSetting() (config.IntOrList, string) {
	if c.NumAttentionHeads == nil {
		return c.AttentionHeadDim, "attention_head_dim"
	}
	return c.NumAttentionHeads, "num_attention_heads"
}

// expandPerBlock expands the int-or-list settings to one value per block.
func (c *Config) expandPerBlock(r *resolved) error {
	heads, key := c.headsSetting()
	r.headsKey = key
	for _, e := range []struct {
		key string
		l   config.IntOrList
		dst *[]int
	}{
		{key, heads, &r.heads},
		{"cross_attention_dim", c.CrossAttentionDim, &r.crossDim},
		{"layers_per_block", c.LayersPerBlock, &r.layers},
		{"transformer_layers_per_block", c.TransformerLayersPerBlock, &r.tLayers},
	} {
		v, err := e.l.Expand(r.nBlocks)
		if err != nil {
			return fmt.Errorf("config key %q: %d values where 1 or %d are expected", e.key, len(e.l), r.nBlocks)
		}
		*e.dst = v
	}
	var err error
	r.onlyCross, err = c.OnlyCrossAttention.expand(r.nBlocks)
	return err
}

// expand returns one value per block: none means false everywhere, one
// value is repeated.
func (l BoolOrList) expand(n int) ([]bool, error) {
	out := make([]bool, n)
	switch len(l) {
	case 0:
	case 1:
		for i := range out {
			out[i] = l[0]
		}
	case n:
		copy(out, l)
	default:
		return nil, fmt.Errorf("config key \"only_cross_attention\": %d values where 1 or %d are expected", len(l), n)
	}
	return out, nil
}

// resolveAddition reads addition_embed_type and the sizes it needs.
func (c *Config) resolveAddition(r *resolved) error {
	if c.AdditionEmbedType == nil {
		return nil
	}
	if *c.AdditionEmbedType != "text_time" {
		return unsupported("addition_embed_type", fmt.Sprintf("%q", *c.AdditionEmbedType))
	}
	if c.AdditionTimeEmbedDim == nil || c.ProjectionClassEmbeddingsInputDim == nil {
		return fmt.Errorf("config key \"addition_embed_type\": \"text_time\" needs addition_time_embed_dim and projection_class_embeddings_input_dim")
	}
	r.addition = additionTextTime
	r.addTimeDim = *c.AdditionTimeEmbedDim
	r.addProjInput = *c.ProjectionClassEmbeddingsInputDim
	return nil
}

// checkBlockTypes checks every block type is implemented and the head
// counts divide the channels.
func (c *Config) checkBlockTypes(r *resolved) error {
	for i, t := range c.DownBlockTypes {
		if _, ok := downBlocks[t]; !ok {
			return fmt.Errorf("config key \"down_block_types\": block type %q not supported (supported: %s)", t, keys(downBlocks))
		}
		if r.heads[i] <= 0 || c.BlockOutChannels[i]%r.heads[i] != 0 {
			return fmt.Errorf("config key %q: %d heads do not divide %d channels", r.headsKey, r.heads[i], c.BlockOutChannels[i])
		}
	}
	for _, t := range c.UpBlockTypes {
		if _, ok := upBlocks[t]; !ok {
			return fmt.Errorf("config key \"up_block_types\": block type %q not supported (supported: %s)", t, keys(upBlocks))
		}
	}
	if c.MidBlockType == nil {
		return nil
	}
	if _, ok := midBlocks[*c.MidBlockType]; !ok {
		return fmt.Errorf("config key \"mid_block_type\": block type %q not supported (supported: %s)", *c.MidBlockType, keys(midBlocks))
	}
	return nil
}
