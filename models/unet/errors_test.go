package unet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeConfig copies the tiny-sd UNet config with one key changed.
func writeConfig(t *testing.T, key, value string) string {
	t.Helper()
	b, err := os.ReadFile(testutil.Testdata("tiny-sd", "unet", "config.json"))
	if err != nil {
		t.Skipf("fixture not present: %v", err)
	}
	s := strings.TrimSpace(string(b))
	s = strings.TrimSuffix(s, "}") + `, "` + key + `": ` + value + "}"
	// A later duplicate key wins in encoding/json.
	dir := t.TempDir()
	p := filepath.Join(dir, "config.json")
	require.NoError(t, os.WriteFile(p, []byte(s), 0o644))
	return p
}

func TestUnsupportedConfig(t *testing.T) {
	for _, c := range []struct{ key, value string }{
		{"class_embed_type", `"timestep"`},
		{"num_class_embeds", `10`},
		{"addition_embed_type", `"text"`},
		{"down_block_types", `["SimpleCrossAttnDownBlock2D", "CrossAttnDownBlock2D"]`},
		{"up_block_types", `["CrossAttnUpBlock2D", "ResnetUpsampleBlock2D"]`},
		{"mid_block_type", `"UNetMidBlock2DSimpleCrossAttn"`},
		{"time_embedding_type", `"fourier"`},
		{"resnet_time_scale_shift", `"scale_shift"`},
		{"encoder_hid_dim", `32`},
		{"dual_cross_attention", `true`},
		{"attention_head_dim", `[2, 4, 8]`},
		{"block_out_channels", `[16, 36]`}, // 36 channels do not split into 8 groups
	} {
		t.Run(c.key, func(t *testing.T) {
			_, err := ReadConfig(writeConfig(t, c.key, c.value))
			require.Error(t, err, "%s=%s accepted", c.key, c.value)
			assert.True(t, strings.Contains(err.Error(), c.key) || strings.Contains(err.Error(), "block_out_channels"),
				"error does not name the key %q: %v", c.key, err)
			t.Log(err)
		})
	}
}

func TestConfigDefaultsAndHeads(t *testing.T) {
	// attention_head_dim holds the head count in SD 1.x configs.
	c, err := ReadConfig(testutil.Testdata("tiny-sd", "unet", "config.json"))
	if err != nil {
		t.Skipf("fixture: %v", err)
	}
	r, err := c.resolve()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(r.heads), 2)
	assert.Equal(t, []int{2, 4}, r.heads[:2], "heads")
	m, err := New(c)
	require.NoError(t, err)
	assert.Equal(t, 4, m.DownBlocks[1].Attentions[0].Cfg.Heads, "down_blocks.1 heads")
	assert.Equal(t, 8, m.DownBlocks[1].Attentions[0].Cfg.DimHead, "down_blocks.1 head dim (32 channels, 4 heads)")
}

func loadTiny(t *testing.T, fixture string) *Model {
	t.Helper()
	dir := testutil.Testdata(fixture, "unet")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("fixture: %v", err)
	}
	m, err := Load(dir, weights.OpenOptions{})
	require.NoError(t, err)
	return m
}

func TestForwardInputErrors(t *testing.T) {
	m := loadTiny(t, "tiny-sd")
	ctx := context.Background()
	good := tensor.New(2, 4, 8, 8)
	ehs := tensor.New(2, 5, 32)
	for _, c := range []struct {
		name   string
		sample *tensor.Dense
		ts     []float32
		ehs    *tensor.Dense
		want   string
	}{
		{"channels", tensor.New(2, 9, 8, 8), []float32{1}, ehs, "in_channels=4"},
		{"rank", tensor.New(2, 4, 8), []float32{1}, ehs, "[N, C, H, W]"},
		{"timesteps", good, []float32{1, 2, 3}, ehs, "3 timesteps"},
		{"ehs width", good, []float32{1}, tensor.New(2, 5, 48), "cross_attention_dim=32"},
		{"ehs batch", good, []float32{1}, tensor.New(1, 5, 32), "encoder hidden states"},
		{"ehs nil", good, []float32{1}, nil, "encoder hidden states"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := m.Forward(ctx, c.sample, c.ts, c.ehs, nil)
			require.ErrorContains(t, err, c.want)
		})
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := m.Forward(cctx, good, []float32{1}, ehs, nil)
	assert.ErrorIs(t, err, context.Canceled, "cancelled context")
}

func TestForwardAddedCondErrors(t *testing.T) {
	m := loadTiny(t, "tiny-sdxl")
	ctx := context.Background()
	s := tensor.New(2, 4, 8, 8)
	ehs := tensor.New(2, 5, 64)
	ok := &AddedCond{TextEmbeds: tensor.New(2, 32), TimeIDs: tensor.New(2, 6)}
	_, err := m.Forward(ctx, s, []float32{5}, ehs, ok)
	require.NoError(t, err, "valid input")
	for _, c := range []struct {
		name  string
		added *AddedCond
		want  string
	}{
		{"nil", nil, "text_embeds"},
		{"no time_ids", &AddedCond{TextEmbeds: tensor.New(2, 32)}, "time_ids"},
		{"width", &AddedCond{TextEmbeds: tensor.New(2, 40), TimeIDs: tensor.New(2, 6)}, "projection_class_embeddings_input_dim=80"},
		{"batch", &AddedCond{TextEmbeds: tensor.New(1, 32), TimeIDs: tensor.New(1, 6)}, "text_embeds must be"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := m.Forward(ctx, s, []float32{5}, ehs, c.added)
			require.ErrorContains(t, err, c.want)
		})
	}
}
