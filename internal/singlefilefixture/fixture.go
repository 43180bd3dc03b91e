// Package singlefilefixture builds single-file (LDM layout) checkpoints of
// the tiny test pipelines from the recipes tools/reference/singlefile_fixtures.py
// writes to testdata/singlefile (so no weights are stored twice). For tests
// only.
package singlefilefixture

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// recipe is testdata/singlefile/<fixture>.json, written by
// tools/reference/singlefile_fixtures.py.
type recipe struct {
	Fixture string               `json:"fixture"`
	Tensors [][4]json.RawMessage `json:"tensors"`
}

type recipeEntry struct {
	name, op, comp string
	shape          []int
	srcs           []string
}

func readRecipe(t testing.TB, testdata, fixture string) []recipeEntry {
	data, err := os.ReadFile(filepath.Join(testdata, "singlefile", fixture+".json"))
	require.NoError(t, err)
	var r recipe
	require.NoError(t, json.Unmarshal(data, &r))
	var out []recipeEntry
	for _, row := range r.Tensors {
		var e recipeEntry
		require.NoError(t, json.Unmarshal(row[0], &e.name))
		require.NoError(t, json.Unmarshal(row[1], &e.op))
		if e.op == "zeros" {
			require.NoError(t, json.Unmarshal(row[2], &e.shape))
		} else {
			require.NoError(t, json.Unmarshal(row[2], &e.comp))
		}
		require.NoError(t, json.Unmarshal(row[3], &e.srcs))
		out = append(out, e)
	}
	return out
}

func componentFile(testdata, fixture, comp string) string {
	base := "model.safetensors"
	if comp == "unet" || comp == "vae" {
		base = "diffusion_pytorch_model.safetensors"
	}
	return filepath.Join(testdata, fixture, comp, base)
}

// buildTensors applies a recipe to the fixture's diffusers weights.
func buildTensors(t testing.TB, testdata, fixture string, rec []recipeEntry) map[string]*tensor.Dense {
	srcs := map[string]weights.Source{}
	out := map[string]*tensor.Dense{}
	for _, e := range rec {
		if e.op == "zeros" {
			n := 1
			for _, d := range e.shape {
				n *= d
			}
			shape := e.shape
			if len(shape) == 0 {
				shape = []int{1}
			}
			out[e.name] = tensor.FromSlice(make([]float32, n), shape...)
			continue
		}
		src, ok := srcs[e.comp]
		if !ok {
			var err error
			src, err = weights.Open(componentFile(testdata, fixture, e.comp))
			require.NoError(t, err)
			srcs[e.comp] = src
		}
		var ts []*tensor.Dense
		for _, s := range e.srcs {
			x, err := src.Tensor(s)
			require.NoError(t, err, s)
			ts = append(ts, x)
		}
		out[e.name] = applyOp(t, e.op, ts)
	}
	return out
}

func applyOp(t testing.TB, op string, ts []*tensor.Dense) *tensor.Dense {
	sh := tensor.Shape(ts[0])
	x := append([]float32(nil), tensor.F32(ts[0])...)
	switch op {
	case "":
		return tensor.FromSlice(x, sh...)
	case "conv":
		return tensor.FromSlice(x, sh[0], sh[1], 1, 1)
	case "T":
		out := make([]float32, len(x))
		for i := 0; i < sh[0]; i++ {
			for j := 0; j < sh[1]; j++ {
				out[j*sh[0]+i] = x[i*sh[1]+j]
			}
		}
		return tensor.FromSlice(out, sh[1], sh[0])
	case "cat":
		for _, o := range ts[1:] {
			x = append(x, tensor.F32(o)...)
		}
		sh[0] *= len(ts)
		return tensor.FromSlice(x, sh...)
	}
	t.Fatalf("unknown op %q", op)
	return nil
}

// Write writes the single-file checkpoint of the tiny pipeline fixture
// (a folder of testdata, e.g. "tiny-sd"), optionally edited, into a
// temporary folder and returns its path.
func Write(t testing.TB, testdata, fixture string, edit func(map[string]*tensor.Dense)) string {
	ts := buildTensors(t, testdata, fixture, readRecipe(t, testdata, fixture))
	if edit != nil {
		edit(ts)
	}
	path := filepath.Join(t.TempDir(), fixture+".safetensors")
	require.NoError(t, weights.WriteFile(path, ts, nil))
	return path
}
