package tensor

import (
	"testing"
	"time"
)

// TestKernelPeak reports the best observed single-core throughput of each
// micro-kernel on cache-resident panels (informational; opt-in).
func TestKernelPeak(t *testing.T) {
	if testing.Short() || !fullTests() {
		t.Skip("set AUTOPIPE_FULL=1")
	}
	for _, g := range GemmImplementations() {
		bg, ok := g.(*blockedGemm)
		if !ok {
			continue
		}
		kc := 256
		a := make([]float32, bg.mr*kc)
		b := make([]float32, bg.nr*kc)
		c := make([]float32, bg.mr*bg.nr)
		for i := range a {
			a[i] = 1e-3
		}
		for i := range b {
			b[i] = 1e-3
		}
		best := time.Duration(1 << 62)
		const reps = 2000
		for trial := 0; trial < 20; trial++ {
			st := time.Now()
			for r := 0; r < reps; r++ {
				bg.kern(kc, &a[0], &b[0], &c[0], bg.nr)
			}
			best = min(best, time.Since(st))
		}
		fl := 2 * float64(bg.mr*bg.nr*kc) * reps
		t.Logf("%s kernel %dx%d: %.1f GFLOP/s", g.Name(), bg.mr, bg.nr, fl/best.Seconds()/1e9)
	}
}
