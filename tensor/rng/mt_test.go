package rng

import (
	"math"
	"testing"
)

// The reference output of init_genrand(5489) starts with these values.
func TestMT19937Reference(t *testing.T) {
	var m mt19937
	m.seed(5489)
	want := []uint32{3499211612, 581869302, 3890346734, 3586334585, 545404204}
	for i, w := range want {
		if got := m.next(); got != w {
			t.Fatalf("draw %d = %d, want %d", i, got, w)
		}
	}
}

func TestSeedTruncation(t *testing.T) {
	a := New(1).Randn(20).Float32s()
	b := New(1<<32 + 1).Randn(20).Float32s()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 2^32+1 differs from seed 1 at %d", i)
		}
	}
}

func TestFMA32(t *testing.T) {
	// 1 + 2^-24 is a float32 midpoint; a tiny positive product must round up.
	a := float32(math.Ldexp(1, -30))
	b := float32(math.Ldexp(1, -30))
	c := float32(1)
	got := fma32(a, b, c)
	if got != 1 {
		t.Fatalf("fma32 tiny = %v", got)
	}
	// (1+2^-23)*(1+2^-23) = 1 + 2^-22 + 2^-46: rounds to 1+2^-22 exactly.
	x := float32(1 + math.Ldexp(1, -23))
	if got, want := fma32(x, x, 0), float32(1+math.Ldexp(1, -22)); got != want {
		t.Fatalf("fma32 = %v, want %v", got, want)
	}
	// Tie in float64 broken by the lost low bits: exact 1 + 2^-24 + 2^-60 rounds up.
	p := float32(1 + math.Ldexp(1, -18))
	q := float32(-math.Ldexp(1, -24) * (1 - math.Ldexp(1, -18))) // p*q = -2^-24 + 2^-60
	c1 := float32(1 + math.Ldexp(1, -23))
	if got, want := fma32(p, q, c1), c1; got != want {
		t.Fatalf("fma32 tie = %v, want %v", got, want)
	}
}

// torch.Generator().manual_seed(-5) stores the seed as its two's complement.
func TestNegativeSeed(t *testing.T) {
	a := NewInt64(-5).Randn(3).Float32s()
	b := New(1<<64 - 5).Randn(3).Float32s()
	want := []float32{-1.8266, 0.6380, -1.7863}
	for i := range a {
		if a[i] != b[i] || math.Abs(float64(a[i]-want[i])) > 1e-4 {
			t.Fatalf("seed -5 draws %v, want %v", a, want)
		}
	}
	if New(7).Seed() != 7 || NewInt64(-5).Seed() != 1<<64-5 {
		t.Fatal("Seed does not report the seed")
	}
}
