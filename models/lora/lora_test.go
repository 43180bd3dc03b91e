package lora

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

var testdata = testutil.Testdata()

type golden struct {
	fixture string
	loras   []string
	weights []float64
	fuse    bool
	t       map[string]*tensor.Dense
}

func readGolden(t *testing.T, name string) golden {
	src, err := weights.Open(filepath.Join(testdata, "golden", "lora_"+name+".safetensors"))
	require.NoError(t, err)
	defer src.Close()
	meta := src.(weights.MetadataSource).Metadata()
	g := golden{fixture: meta["fixture"], t: map[string]*tensor.Dense{}}
	require.NoError(t, json.Unmarshal([]byte(meta["loras"]), &g.loras))
	require.NoError(t, json.Unmarshal([]byte(meta["weights"]), &g.weights))
	require.NoError(t, json.Unmarshal([]byte(meta["fuse"]), &g.fuse))
	for _, n := range src.Names() {
		x, err := src.Tensor(n)
		require.NoError(t, err)
		g.t[n] = x
	}
	return g
}

func (g golden) adapters(t *testing.T) []Weighted {
	var out []Weighted
	for i, f := range g.loras {
		l, err := Load(filepath.Join(testdata, "lora", f))
		require.NoError(t, err)
		w := 1.0
		if g.weights != nil {
			w = g.weights[i]
		}
		out = append(out, Weighted{LoRA: l, Weight: w})
	}
	return out
}

func ids(x *tensor.Dense) [][]int {
	v := tensor.F32(x)
	row := make([]int, len(v))
	for i, f := range v {
		row[i] = int(f)
	}
	return [][]int{row}
}

func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func runUNet(t *testing.T, m *unet.Model, g golden) []float32 {
	var added *unet.AddedCond
	if te, ok := g.t["in_text_embeds"]; ok {
		added = &unet.AddedCond{TextEmbeds: te, TimeIDs: g.t["in_time_ids"]}
	}
	out, err := m.Forward(context.Background(), g.t["in_sample"], tensor.F32(g.t["in_timestep"]), g.t["in_context"], added)
	require.NoError(t, err)
	return tensor.F32(out)
}

func loadUNet(t *testing.T, fixture string) *unet.Model {
	m, err := unet.Load(filepath.Join(testdata, fixture, "unet"), weights.OpenOptions{})
	require.NoError(t, err)
	return m
}

func loadText(t *testing.T, fixture, comp string) *clip.TextModel {
	m, err := clip.LoadTextModel(filepath.Join(testdata, fixture, comp), weights.OpenOptions{})
	require.NoError(t, err)
	return m
}

func apply[M any](t *testing.T, m M, comp string, g golden) M {
	f := Apply[M]
	if g.fuse {
		f = Fuse[M]
	}
	out, err := f(m, comp, g.adapters(t)...)
	require.NoError(t, err)
	return out
}

// The UNet and text encoders with LoRAs applied give diffusers' outputs
// after load_lora_weights + set_adapters (+ fuse_lora), and the models
// they were applied to are unchanged.
func TestMatchesDiffusers(t *testing.T) {
	for _, name := range []string{"sd_kohya", "sd_peft", "sd_two", "sd_two_fused", "sdxl_kohya"} {
		t.Run(name, func(t *testing.T) {
			g := readGolden(t, name)
			u := loadUNet(t, g.fixture)
			before := runUNet(t, u, g)
			lu := apply(t, u, "unet", g)
			assert.Less(t, maxDiff(runUNet(t, lu, g), tensor.F32(g.t["out_unet"])), 2e-4)
			assert.Equal(t, before, runUNet(t, u, g), "the shared UNet changed")

			for _, comp := range []string{"text_encoder", "text_encoder_2"} {
				want, ok := g.t["out_"+comp]
				if !ok {
					continue
				}
				te := apply(t, loadText(t, g.fixture, comp), comp, g)
				out, err := te.Forward(context.Background(), ids(g.t["in_ids"]))
				require.NoError(t, err)
				got := out.LastHidden
				if comp == "text_encoder_2" {
					got = out.HiddenStates[len(out.HiddenStates)-2]
					assert.Less(t, maxDiff(tensor.F32(out.TextEmbeds), tensor.F32(g.t["out_text_encoder_2_embeds"])), 2e-4)
				}
				assert.Less(t, maxDiff(tensor.F32(got), tensor.F32(want)), 2e-4, comp)
			}
		})
	}
}

// A generation running on the shared model while another applies a LoRA
// to it gives the output without the LoRA.
func TestConcurrentSharing(t *testing.T) {
	g := readGolden(t, "sd_kohya")
	u := loadUNet(t, g.fixture)
	want := runUNet(t, u, g)
	var wg sync.WaitGroup
	results := make([][]float32, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				results[i] = runUNet(t, u, g)
				return
			}
			lu, err := Apply(u, "unet", g.adapters(t)...)
			if err == nil {
				results[i] = runUNet(t, lu, g)
			}
		}()
	}
	wg.Wait()
	for i, r := range results {
		if i%2 == 0 {
			assert.Equal(t, want, r)
		} else {
			assert.Less(t, maxDiff(r, tensor.F32(g.t["out_unet"])), 2e-4)
		}
	}
}

func TestUnsupportedAndMismatched(t *testing.T) {
	loha := weights.MapSource{
		"lora_unet_down_blocks_0_attentions_0_proj_in.hada_w1_a": tensor.FromSlice([]float32{1}, 1, 1),
	}
	_, err := Parse(loha, nil)
	require.ErrorIs(t, err, ErrUnsupported)
	assert.Contains(t, err.Error(), "LoHa")

	lokr := weights.MapSource{"lora_unet_x.lokr_w1": tensor.FromSlice([]float32{1}, 1, 1)}
	_, err = Parse(lokr, nil)
	assert.ErrorContains(t, err, "LoKr")

	half := weights.MapSource{"lora_unet_x.lora_down.weight": tensor.FromSlice([]float32{1, 2}, 1, 2)}
	_, err = Parse(half, nil)
	assert.ErrorContains(t, err, "needs both a down and an up weight")

	// A module naming no layer of the model is an error naming it.
	src := weights.MapSource{
		"lora_unet_no_such_layer.lora_down.weight": tensor.FromSlice([]float32{1, 2}, 1, 2),
		"lora_unet_no_such_layer.lora_up.weight":   tensor.FromSlice([]float32{1, 2}, 2, 1),
	}
	l, err := Parse(src, nil)
	require.NoError(t, err)
	_, err = Apply(loadUNet(t, "tiny-sd"), "unet", Weighted{LoRA: l, Weight: 1})
	assert.ErrorContains(t, err, "1 modules match no layer: no_such_layer")

	// Shapes are checked against the layer.
	src = weights.MapSource{
		"lora_unet_conv_in.lora_down.weight": tensor.FromSlice(make([]float32, 2*3), 2, 3),
		"lora_unet_conv_in.lora_up.weight":   tensor.FromSlice(make([]float32, 2*5), 5, 2),
	}
	l, err = Parse(src, nil)
	require.NoError(t, err)
	_, err = Apply(loadUNet(t, "tiny-sd"), "unet", Weighted{LoRA: l, Weight: 1})
	assert.ErrorContains(t, err, "do not fit")
}
