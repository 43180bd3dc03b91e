package textinv

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

var testdata = testutil.Testdata()

func readGolden(t *testing.T, name string) (map[string]*tensor.Dense, string) {
	src, err := weights.Open(filepath.Join(testdata, "golden", "textinv_"+name+".safetensors"))
	require.NoError(t, err)
	defer src.Close()
	out := map[string]*tensor.Dense{}
	for _, n := range src.Names() {
		x, err := src.Tensor(n)
		require.NoError(t, err)
		out[n] = x
	}
	return out, src.(weights.MetadataSource).Metadata()["prompt"]
}

func load(t *testing.T, fixture, tok, te string) (*clip.Tokenizer, *clip.TextModel) {
	tk, err := clip.LoadTokenizer(filepath.Join(testdata, fixture, tok))
	require.NoError(t, err)
	m, err := clip.LoadTextModel(filepath.Join(testdata, fixture, te), weights.OpenOptions{})
	require.NoError(t, err)
	return tk, m
}

func asInts(x *tensor.Dense) []int {
	var out []int
	for _, v := range tensor.F32(x) {
		out = append(out, int(v))
	}
	return out
}

func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// An A1111 file (two vectors) and a diffusers file (one vector, token from
// the file) give diffusers' ids and text encoder output; the tokenizer and
// model they were added to are unchanged.
func TestMatchesDiffusersSD(t *testing.T) {
	g, prompt := readGolden(t, "sd")
	tok, te := load(t, "tiny-sd", "tokenizer", "text_encoder")
	before := tok.Encode(prompt)

	a, err := Load(filepath.Join(testdata, "textinv", "a1111.safetensors"), "<a1111>")
	require.NoError(t, err)
	d, err := Load(filepath.Join(testdata, "textinv", "cat-toy.safetensors"), "")
	require.NoError(t, err)
	assert.Equal(t, "<cat-toy>", d.Token)
	tok2, te2, err := a.Apply(TextEncoder, tok, te)
	require.NoError(t, err)
	tok2, te2, err = d.Apply(TextEncoder, tok2, te2)
	require.NoError(t, err)

	ids := tok2.Encode(prompt)
	require.Equal(t, asInts(g["ids"]), ids)
	out, err := te2.Forward(context.Background(), [][]int{ids})
	require.NoError(t, err)
	assert.Less(t, maxDiff(tensor.F32(out.LastHidden), tensor.F32(g["text_encoder"])), 1e-4)

	assert.Equal(t, before, tok.Encode(prompt), "the shared tokenizer changed")
	_, err = te.Forward(context.Background(), [][]int{ids})
	assert.ErrorContains(t, err, "outside the vocabulary", "the shared model changed")
}

func TestMatchesDiffusersSDXLPair(t *testing.T) {
	g, prompt := readGolden(t, "sdxl")
	e, err := Load(filepath.Join(testdata, "textinv", "pair.safetensors"), "<pair>")
	require.NoError(t, err)
	assert.Equal(t, []string{TextEncoder, TextEncoder2}, e.Encoders())

	tok, te := load(t, "tiny-sdxl", "tokenizer", "text_encoder")
	tok, te, err = e.Apply(TextEncoder, tok, te)
	require.NoError(t, err)
	ids := tok.Encode(prompt)
	require.Equal(t, asInts(g["ids"]), ids)
	out, err := te.Forward(context.Background(), [][]int{ids})
	require.NoError(t, err)
	assert.Less(t, maxDiff(tensor.F32(out.LastHidden), tensor.F32(g["text_encoder"])), 1e-4)

	tok2, te2 := load(t, "tiny-sdxl", "tokenizer_2", "text_encoder_2")
	tok2, te2, err = e.Apply(TextEncoder2, tok2, te2)
	require.NoError(t, err)
	ids2 := tok2.Encode(prompt)
	require.Equal(t, asInts(g["ids_2"]), ids2)
	out, err = te2.Forward(context.Background(), [][]int{ids2})
	require.NoError(t, err)
	assert.Less(t, maxDiff(tensor.F32(out.HiddenStates[len(out.HiddenStates)-2]), tensor.F32(g["text_encoder_2"])), 1e-4)
	assert.Less(t, maxDiff(tensor.F32(out.TextEmbeds), tensor.F32(g["text_encoder_2_embeds"])), 1e-4)
}

func TestErrors(t *testing.T) {
	tok, te := load(t, "tiny-sd", "tokenizer", "text_encoder")
	e := &Embedding{Token: "<x>", Vectors: map[string]*tensor.Dense{"": tensor.FromSlice(make([]float32, 8), 1, 8)}}
	_, _, err := e.Apply(TextEncoder, tok, te)
	assert.ErrorContains(t, err, "hidden size 32")

	e = &Embedding{Token: "a</w>", Vectors: map[string]*tensor.Dense{"": tensor.FromSlice(make([]float32, 32), 1, 32)}}
	_, _, err = e.Apply(TextEncoder, tok, te)
	assert.ErrorContains(t, err, "already in the tokenizer's vocabulary")

	_, err = parse(weights.MapSource{"a": tensor.FromSlice([]float32{1}, 1), "b": tensor.FromSlice([]float32{1}, 1)}, "", "f")
	assert.ErrorContains(t, err, "not a textual-inversion file")
}
