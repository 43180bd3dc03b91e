package rng

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type goldenCase struct {
	Name   string    `json:"name"`
	Kind   string    `json:"kind"`
	Seed   uint64    `json:"seed"`
	Shape  []int     `json:"shape"`
	SHA256 string    `json:"sha256"`
	First  []float64 `json:"first"`
	Stored bool      `json:"stored"`
	SeqIdx *int      `json:"sequence_index"`
}

type goldenManifest struct {
	Cases []goldenCase `json:"cases"`
}

func hashF32(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestGoldenTorch(t *testing.T) {
	var m goldenManifest
	testutil.LoadJSON(t, testutil.Golden("rng_torch.json"), &m)
	stored := testutil.LoadSafetensors(t, testutil.Golden("rng_torch.safetensors"))
	var seqGen *Generator
	for _, c := range m.Cases {
		var g *Generator
		if c.SeqIdx != nil {
			if *c.SeqIdx == 0 {
				seqGen = New(c.Seed)
			}
			g = seqGen
		} else {
			g = New(c.Seed)
		}
		var got []float32
		switch c.Kind {
		case "randn":
			got = g.Randn(c.Shape...).Float32s()
		case "rand":
			got = g.Rand(c.Shape...).Float32s()
		default:
			require.Failf(t, "unknown kind", "%s: %q", c.Name, c.Kind)
		}
		if c.Stored {
			want := stored[c.Name].Data
			if !assert.Len(t, got, len(want), c.Name) {
				continue
			}
			testutil.AssertSameBits(t, want, got, "%s: values differ from torch's", c.Name)
		}
		assert.Equal(t, c.SHA256, hashF32(got), "%s: sha256 (first %v, want %v)", c.Name, got[:min(4, len(got))], c.First)
	}
}
