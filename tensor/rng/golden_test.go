package rng

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
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

// readSafetensorsF32 reads every F32 tensor of a safetensors file.
func readSafetensorsF32(path string) (map[string][]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 8 {
		return nil, fmt.Errorf("%s: short file", path)
	}
	n := binary.LittleEndian.Uint64(b)
	if 8+n > uint64(len(b)) {
		return nil, fmt.Errorf("%s: bad header length", path)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &hdr); err != nil {
		return nil, err
	}
	data := b[8+n:]
	out := map[string][]float32{}
	for name, raw := range hdr {
		if name == "__metadata__" {
			continue
		}
		var info struct {
			DType   string   `json:"dtype"`
			Offsets [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &info); err != nil {
			return nil, err
		}
		if info.DType != "F32" {
			continue
		}
		seg := data[info.Offsets[0]:info.Offsets[1]]
		v := make([]float32, len(seg)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(seg[4*i:]))
		}
		out[name] = v
	}
	return out, nil
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
	raw, err := os.ReadFile("../../testdata/golden/rng_torch.json")
	if err != nil {
		t.Fatal(err)
	}
	var m goldenManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	stored, err := readSafetensorsF32("../../testdata/golden/rng_torch.safetensors")
	if err != nil {
		t.Fatal(err)
	}
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
			t.Fatalf("%s: unknown kind %q", c.Name, c.Kind)
		}
		if c.Stored {
			want := stored[c.Name]
			if len(want) != len(got) {
				t.Errorf("%s: %d values, want %d", c.Name, len(got), len(want))
				continue
			}
			bad := 0
			for i := range want {
				if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
					if bad < 3 {
						t.Errorf("%s[%d] = %v, want %v", c.Name, i, got[i], want[i])
					}
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%s: %d of %d values differ", c.Name, bad, len(want))
			}
		}
		if h := hashF32(got); h != c.SHA256 {
			t.Errorf("%s: sha256 %s, want %s (first %v, want %v)", c.Name, h, c.SHA256, got[:min(4, len(got))], c.First)
		}
	}
}
