package unet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// writeConfig copies the tiny-sd UNet config with one key changed.
func writeConfig(t *testing.T, key, value string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "tiny-sd", "unet", "config.json"))
	if err != nil {
		t.Skipf("fixture not present: %v", err)
	}
	s := strings.TrimSpace(string(b))
	s = strings.TrimSuffix(s, "}") + `, "` + key + `": ` + value + "}"
	// A later duplicate key wins in encoding/json.
	dir := t.TempDir()
	p := filepath.Join(dir, "config.json")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
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
			if err == nil {
				t.Fatalf("%s=%s accepted", c.key, c.value)
			}
			if !strings.Contains(err.Error(), c.key) && !strings.Contains(err.Error(), "block_out_channels") {
				t.Errorf("error does not name the key %q: %v", c.key, err)
			}
			t.Log(err)
		})
	}
}

func TestConfigDefaultsAndHeads(t *testing.T) {
	// attention_head_dim holds the head count in SD 1.x configs.
	c, err := ReadConfig(filepath.Join("..", "..", "testdata", "tiny-sd", "unet", "config.json"))
	if err != nil {
		t.Skipf("fixture: %v", err)
	}
	r, err := c.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{2, 4}; r.heads[0] != want[0] || r.heads[1] != want[1] {
		t.Errorf("heads %v, want %v", r.heads, want)
	}
	m, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.DownBlocks[1].Attentions[0].Cfg.Heads; got != 4 {
		t.Errorf("down_blocks.1 heads %d, want 4", got)
	}
	if got := m.DownBlocks[1].Attentions[0].Cfg.DimHead; got != 8 {
		t.Errorf("down_blocks.1 head dim %d, want 8 (32 channels, 4 heads)", got)
	}
}

func loadTiny(t *testing.T, fixture string) *Model {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", fixture, "unet")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("fixture: %v", err)
	}
	m, err := Load(dir, weights.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
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
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Forward(cctx, good, []float32{1}, ehs, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v", err)
	}
}

func TestForwardAddedCondErrors(t *testing.T) {
	m := loadTiny(t, "tiny-sdxl")
	ctx := context.Background()
	s := tensor.New(2, 4, 8, 8)
	ehs := tensor.New(2, 5, 64)
	ok := &AddedCond{TextEmbeds: tensor.New(2, 32), TimeIDs: tensor.New(2, 6)}
	if _, err := m.Forward(ctx, s, []float32{5}, ehs, ok); err != nil {
		t.Fatalf("valid input: %v", err)
	}
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
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}
