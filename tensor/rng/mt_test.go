package rng

import (
	"math"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The reference output of init_genrand(5489) starts with these values.
func TestMT19937Reference(t *testing.T) {
	var m mt19937
	m.seed(5489)
	want := []uint32{3499211612, 581869302, 3890346734, 3586334585, 545404204}
	for i, w := range want {
		require.Equal(t, w, m.next(), "draw %d", i)
	}
}

func TestSeedTruncation(t *testing.T) {
	a := New(1).Randn(20).Float32s()
	b := New(1<<32 + 1).Randn(20).Float32s()
	testutil.RequireClose(t, a, b, 0, "seed 2^32+1 differs from seed 1")
}

func TestFMA32(t *testing.T) {
	// 1 + 2^-24 is a float32 midpoint; a tiny positive product must round up.
	a := float32(math.Ldexp(1, -30))
	b := float32(math.Ldexp(1, -30))
	c := float32(1)
	require.Equal(t, float32(1), fma32(a, b, c), "fma32 tiny")
	// (1+2^-23)*(1+2^-23) = 1 + 2^-22 + 2^-46: rounds to 1+2^-22 exactly.
	x := float32(1 + math.Ldexp(1, -23))
	require.Equal(t, float32(1+math.Ldexp(1, -22)), fma32(x, x, 0), "fma32")
	// Tie in float64 broken by the lost low bits: exact 1 + 2^-24 + 2^-60 rounds up.
	p := float32(1 + math.Ldexp(1, -18))
	q := float32(-math.Ldexp(1, -24) * (1 - math.Ldexp(1, -18))) // p*q = -2^-24 + 2^-60
	c1 := float32(1 + math.Ldexp(1, -23))
	require.Equal(t, c1, fma32(p, q, c1), "fma32 tie")
}

// torch.Generator().manual_seed(-5) stores the seed as its two's complement.
func TestNegativeSeed(t *testing.T) {
	a := NewInt64(-5).Randn(3).Float32s()
	b := New(1<<64 - 5).Randn(3).Float32s()
	want := []float32{-1.8266, 0.6380, -1.7863}
	testutil.RequireClose(t, a, b, 0, "NewInt64(-5) and New(2^64-5)")
	for i := range a {
		require.InDelta(t, want[i], a[i], 1e-4, "seed -5 draws %v, want %v", a, want)
	}
	assert.Equal(t, uint64(7), New(7).Seed(), "Seed does not report the seed")
	assert.Equal(t, uint64(1<<64-5), NewInt64(-5).Seed(), "Seed does not report the seed")
}
