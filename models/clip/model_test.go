package clip

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
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

func goldenTensor(t testing.TB, src weights.Source, name string) *tensor.Dense {
	t.Helper()
	x, err := src.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func maxAbsDiff(t testing.TB, got, want *tensor.Dense) float64 {
	t.Helper()
	if !slices.Equal(got.Shape(), want.Shape()) {
		t.Fatalf("shape %v, want %v", got.Shape(), want.Shape())
	}
	g, w := tensor.F32(got), tensor.F32(want)
	m := 0.0
	for i := range g {
		d := math.Abs(float64(g[i] - w[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		m = max(m, d)
	}
	return m
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
	readJSON(t, filepath.Join(repoRoot, "testdata/golden/clip_text.json"), &g)
	src, err := weights.Open(filepath.Join(repoRoot, "testdata/golden/clip_text.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for _, name := range []string{"tiny_sd", "tiny_sd2", "tiny_sdxl", "tiny_sdxl_2"} {
		e, ok := g.Encoders[name]
		if !ok {
			t.Fatalf("golden has no encoder %s", name)
		}
		t.Run(name, func(t *testing.T) {
			m, err := LoadTextModel(filepath.Join(repoRoot, e.Dir), weights.OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if m.HasProjection() != (e.Architecture == ArchTextModelWithProjection) {
				t.Fatalf("projection %v for %s", m.HasProjection(), e.Architecture)
			}
			ids := idsOf(goldenTensor(t, src, name+".ids"))
			// The tokenizer rows come from the fixture's own tokenizer.
			tok, err := LoadTokenizer(filepath.Join(repoRoot, e.Tokenizer))
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range e.Prompts {
				if got := tok.EncodeLength(p, len(ids[i])); !slices.Equal(got, ids[i]) {
					t.Errorf("tokenizer %q: got %v, want %v", p, got, ids[i])
				}
			}
			out, err := m.Forward(context.Background(), ids)
			if err != nil {
				t.Fatal(err)
			}
			n := e.HiddenStates - 1
			if len(out.HiddenStates) != e.HiddenStates {
				t.Fatalf("%d hidden states, want %d", len(out.HiddenStates), e.HiddenStates)
			}
			checks := map[string]*tensor.Dense{
				"hidden.0": out.HiddenStates[0], fmt.Sprintf("hidden.%d", n-1): out.HiddenStates[n-1],
				fmt.Sprintf("hidden.%d", n): out.HiddenStates[n], "last_hidden": out.LastHidden, "pooled": out.Pooled,
			}
			if m.HasProjection() {
				checks["text_embeds"] = out.TextEmbeds
			} else if out.TextEmbeds != nil {
				t.Error("TextEmbeds set without projection")
			}
			keys := slices.Sorted(maps.Keys(checks))
			for _, k := range keys {
				d := maxAbsDiff(t, checks[k], goldenTensor(t, src, name+"."+k))
				t.Logf("%s: max abs err %.3g", k, d)
				if d > 1e-4 {
					t.Errorf("%s: max abs err %g > 1e-4", k, d)
				}
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
	if err != nil {
		t.Fatal(err)
	}
	last := tensor.FromSlice([]float32{0, 0, 1, 1, 2, 2, 3, 3, 10, 10, 11, 11, 12, 12, 13, 13}, 2, 4, 2)
	ids := [][]int{{5, 9, 9, 1}, {2, 3, 7, 7}}
	got := tensor.F32(m.pool(last, ids))
	if want := []float32{1, 1, 12, 12}; !slices.Equal(got, want) {
		t.Fatalf("legacy pool %v, want %v", got, want)
	}
	m.cfg.EosTokenID = []int{7}
	got = tensor.F32(m.pool(last, ids))
	if want := []float32{0, 0, 12, 12}; !slices.Equal(got, want) {
		t.Fatalf("eos pool %v, want %v", got, want)
	}
}

func TestTextModelErrors(t *testing.T) {
	m, err := LoadTextModel(filepath.Join(repoRoot, "testdata/tiny-sd/text_encoder"), weights.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][][]int{
		"empty":     nil,
		"ragged":    {{1, 2}, {1}},
		"too long":  {make([]int, 78)},
		"bad id":    {{1, 1000}},
		"negative":  {{-1}},
		"empty row": {{}},
	}
	for name, ids := range bad {
		if _, err := m.Forward(context.Background(), ids); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Forward(ctx, [][]int{{1, 2}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
	unloaded, _ := NewTextModel(m.Config(), false)
	if _, err := unloaded.Forward(context.Background(), [][]int{{1, 2}}); err == nil {
		t.Error("unloaded model: want an error")
	}
	if _, err := LoadTextModel(t.TempDir(), weights.OpenOptions{}); err == nil {
		t.Error("empty folder: want an error")
	}
	if _, err := LoadTextModel(filepath.Join(repoRoot, "testdata/tiny-sd/text_encoder"), weights.OpenOptions{Variant: "fp16"}); err == nil {
		t.Error("missing variant: want an error")
	}
}

// TestLoadPrefixed loads the tiny encoder from a source whose names carry a
// single-file checkpoint prefix, through WithPrefix.
func TestLoadPrefixed(t *testing.T) {
	dir := filepath.Join(repoRoot, "testdata/tiny-sdxl/text_encoder_2")
	cfg, err := ReadTextConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := weights.OpenComponent(dir, "model", weights.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ms := weights.MapSource{}
	for _, n := range src.Names() {
		x, err := src.Tensor(n)
		if err != nil {
			t.Fatal(err)
		}
		ms["conditioner.embedders.1."+n] = x
	}
	ms["first_stage_model.decoder.conv_in.weight"] = tensor.New(1)
	m, err := NewTextModel(cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(ms, weights.WithPrefix("conditioner.embedders.1")); err != nil {
		t.Fatal(err)
	}
	if m.Projection.wt == nil || m.Text.Encoder.Layers[0].SelfAttn.Q.wt == nil {
		t.Fatal("weights not loaded")
	}
	// Without the projection the checkpoint's text_projection is reported unused.
	m2, _ := NewTextModel(cfg, false)
	var le *weights.LoadError
	if err := m2.Load(ms, weights.WithPrefix("conditioner.embedders.1")); !errors.As(err, &le) || len(le.Unused) != 1 {
		t.Fatalf("want one unused tensor, got %v", err)
	}
}

// TestForwardConcurrent runs Forward from several goroutines on one model.
func TestForwardConcurrent(t *testing.T) {
	m, err := LoadTextModel(filepath.Join(repoRoot, "testdata/tiny-sdxl/text_encoder_2"), weights.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := [][]int{{998, 5, 17, 300, 999, 0, 0, 0}}
	ref, err := m.Forward(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
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
		if err := <-errs; err != nil {
			t.Error(err)
		}
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
		if err != nil {
			t.Fatal(err)
		}
		proj, ok := cfg.WithProjection()
		if !ok || cfg.eos() != 2 || cfg.MaxPositionEmbeddings != 77 || cfg.VocabSize != 49408 {
			t.Errorf("%s: %+v", p, cfg)
		}
		if _, err := NewTextModel(cfg, proj); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		t.Logf("%s: %s hidden %d layers %d act %s projection %v", filepath.Base(filepath.Dir(filepath.Dir(p))),
			cfg.Architectures[0], cfg.HiddenSize, cfg.NumHiddenLayers, cfg.HiddenAct, proj)
	}
}
