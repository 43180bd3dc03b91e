package clip

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/internal/testutil/weightstest"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type encoderGolden struct {
	Encoders map[string]struct {
		Dir          string   `json:"dir"`
		Tokenizer    string   `json:"tokenizer"`
		Architecture string   `json:"architecture"`
		Prompts      []string `json:"prompts"`
		HiddenStates int      `json:"hidden_states"`
	} `json:"encoders"`
}

func idsOf(x *tensor.Dense) [][]int {
	s := x.Shape()
	v := tensor.F32(x)
	out := make([][]int, s[0])
	for b := range out {
		out[b] = make([]int, s[1])
		for i := range out[b] {
			out[b][i] = int(v[b*s[1]+i])
		}
	}
	return out
}

func TestTextModelTinyFixtures(t *testing.T) {
	var g encoderGolden
	testutil.LoadJSON(t, testutil.Golden("clip_text.json"), &g)
	src := weightstest.Open(t, testutil.Golden("clip_text.safetensors"))
	for _, name := range []string{"tiny_sd", "tiny_sd2", "tiny_sdxl", "tiny_sdxl_2"} {
		e, ok := g.Encoders[name]
		require.True(t, ok, "golden has no encoder %s", name)
		t.Run(name, func(t *testing.T) {
			m, err := LoadTextModel(filepath.Join(repoRoot, e.Dir), weights.OpenOptions{})
			require.NoError(t, err)
			require.Equal(t, e.Architecture == ArchTextModelWithProjection, m.HasProjection(), "projection for %s", e.Architecture)
			ids := idsOf(weightstest.Tensor(t, src, name+".ids"))
			// The tokenizer rows come from the fixture's own tokenizer.
			tok, err := LoadTokenizer(filepath.Join(repoRoot, e.Tokenizer))
			require.NoError(t, err)
			for i, p := range e.Prompts {
				assert.Equal(t, ids[i], tok.EncodeLength(p, len(ids[i])), "tokenizer %q", p)
			}
			out, err := m.Forward(context.Background(), ids)
			require.NoError(t, err)
			n := e.HiddenStates - 1
			require.Len(t, out.HiddenStates, e.HiddenStates, "hidden states")
			checks := map[string]*tensor.Dense{
				"hidden.0": out.HiddenStates[0], fmt.Sprintf("hidden.%d", n-1): out.HiddenStates[n-1],
				fmt.Sprintf("hidden.%d", n): out.HiddenStates[n], "last_hidden": out.LastHidden, "pooled": out.Pooled,
			}
			if m.HasProjection() {
				checks["text_embeds"] = out.TextEmbeds
			} else {
				assert.Nil(t, out.TextEmbeds, "TextEmbeds set without projection")
			}
			keys := slices.Sorted(maps.Keys(checks))
			for _, k := range keys {
				d := testutil.DenseMaxAbsDiff(t, checks[k], weightstest.Tensor(t, src, name+"."+k))
				t.Logf("%s: max abs err %.3g", k, d)
				assert.LessOrEqual(t, d, 1e-4, "%s: max abs err", k)
			}
		})
	}
}

// TestPoolLegacyEOS checks the eos_token_id == 2 rule (first maximum id).
func TestPoolLegacyEOS(t *testing.T) {
	cfg := DefaultTextConfig()
	cfg.HiddenSize, cfg.NumAttentionHeads = 2, 1
	cfg.EosTokenID = []int{2}
	m, err := NewTextModel(cfg, false)
	require.NoError(t, err)
	last := tensor.FromSlice([]float32{0, 0, 1, 1, 2, 2, 3, 3, 10, 10, 11, 11, 12, 12, 13, 13}, 2, 4, 2)
	ids := [][]int{{5, 9, 9, 1}, {2, 3, 7, 7}}
	got := tensor.F32(m.pool(last, ids))
	require.Equal(t, []float32{1, 1, 12, 12}, got, "legacy pool")
	m.cfg.EosTokenID = []int{7}
	got = tensor.F32(m.pool(last, ids))
	require.Equal(t, []float32{0, 0, 12, 12}, got, "eos pool")
}

func TestTextModelErrors(t *testing.T) {
	m, err := LoadTextModel(filepath.Join(repoRoot, "testdata/tiny-sd/text_encoder"), weights.OpenOptions{})
	require.NoError(t, err)
	bad := map[string][][]int{
		"empty":     nil,
		"ragged":    {{1, 2}, {1}},
		"too long":  {make([]int, 78)},
		"bad id":    {{1, 1000}},
		"negative":  {{-1}},
		"empty row": {{}},
	}
	for name, ids := range bad {
		_, err := m.Forward(context.Background(), ids)
		assert.Error(t, err, "%s: want an error", name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = m.Forward(ctx, [][]int{{1, 2}})
	assert.ErrorIs(t, err, context.Canceled, "cancelled")
	unloaded, _ := NewTextModel(m.Config(), false)
	_, err = unloaded.Forward(context.Background(), [][]int{{1, 2}})
	assert.Error(t, err, "unloaded model: want an error")
	_, err = LoadTextModel(t.TempDir(), weights.OpenOptions{})
	assert.Error(t, err, "empty folder: want an error")
	_, err = LoadTextModel(filepath.Join(repoRoot, "testdata/tiny-sd/text_encoder"), weights.OpenOptions{Variant: "fp16"})
	assert.Error(t, err, "missing variant: want an error")
}

// TestLoadPrefixed loads the tiny encoder from a source whose names carry a
// single-file checkpoint prefix, through WithPrefix.
func TestLoadPrefixed(t *testing.T) {
	dir := filepath.Join(repoRoot, "testdata/tiny-sdxl/text_encoder_2")
	cfg, err := ReadTextConfig(filepath.Join(dir, "config.json"))
	require.NoError(t, err)
	src, err := weights.OpenComponent(dir, "model", weights.OpenOptions{})
	require.NoError(t, err)
	defer src.Close()
	ms := weights.MapSource{}
	for _, n := range src.Names() {
		x, err := src.Tensor(n)
		require.NoError(t, err)
		ms["conditioner.embedders.1."+n] = x
	}
	ms["first_stage_model.decoder.conv_in.weight"] = tensor.New(1)
	m, err := NewTextModel(cfg, true)
	require.NoError(t, err)
	require.NoError(t, m.Load(ms, weights.WithPrefix("conditioner.embedders.1")))
	require.NotNil(t, m.Projection.Weight, "weights not loaded")
	require.NotNil(t, m.Text.Encoder.Layers[0].SelfAttn.Q.Weight, "weights not loaded")
	// Without the projection the checkpoint's text_projection is reported unused.
	m2, _ := NewTextModel(cfg, false)
	var le *weights.LoadError
	err = m2.Load(ms, weights.WithPrefix("conditioner.embedders.1"))
	require.ErrorAs(t, err, &le)
	require.Len(t, le.Unused, 1, "want one unused tensor, got %v", err)
}

// TestForwardConcurrent runs Forward from several goroutines on one model.
func TestForwardConcurrent(t *testing.T) {
	m, err := LoadTextModel(filepath.Join(repoRoot, "testdata/tiny-sdxl/text_encoder_2"), weights.OpenOptions{})
	require.NoError(t, err)
	ids := [][]int{{998, 5, 17, 300, 999, 0, 0, 0}}
	ref, err := m.Forward(context.Background(), ids)
	require.NoError(t, err)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			out, err := m.Forward(context.Background(), ids)
			if err == nil && !slices.Equal(tensor.F32(out.TextEmbeds), tensor.F32(ref.TextEmbeds)) {
				err = fmt.Errorf("concurrent forward differs")
			}
			errs <- err
		}()
	}
	for range 4 {
		assert.NoError(t, <-errs)
	}
}

// TestRealConfigs reads the Hub text encoder configs of SD 1.5, 2.1 and SDXL.
func TestRealConfigs(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(repoRoot, "testdata/configs/*/text_encoder*/config.json"))
	if len(paths) == 0 {
		t.Skip("no Hub configs")
	}
	for _, p := range paths {
		cfg, err := ReadTextConfig(p)
		require.NoError(t, err)
		proj, ok := cfg.WithProjection()
		assert.True(t, ok, "%s: %+v", p, cfg)
		assert.Equal(t, 2, cfg.eos(), "%s: %+v", p, cfg)
		assert.Equal(t, 77, cfg.MaxPositionEmbeddings, "%s: %+v", p, cfg)
		assert.Equal(t, 49408, cfg.VocabSize, "%s: %+v", p, cfg)
		_, err = NewTextModel(cfg, proj)
		assert.NoError(t, err, "%s", p)
		t.Logf("%s: %s hidden %d layers %d act %s projection %v", filepath.Base(filepath.Dir(filepath.Dir(p))),
			cfg.Architectures[0], cfg.HiddenSize, cfg.NumHiddenLayers, cfg.HiddenAct, proj)
	}
}
