package tensor

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"time"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestTuneBlocking sweeps kc and mc of the default kernel on one thread and
// reports GFLOP/s per CPU second (opt-in: AUTOPIPE_TUNE=1).
func TestTuneBlocking(t *testing.T) {
	if os.Getenv("AUTOPIPE_TUNE") == "" {
		t.Skip("set AUTOPIPE_TUNE=1")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	def, ok := DefaultGemm().(*blockedGemm)
	require.True(t, ok, "default GEMM %q is not a blocked kernel", DefaultGemm().Name())
	base := *def
	n := 1024
	r := rand.New(rand.NewPCG(1, 1))
	a, b, c := randSlice(r, n*n), randSlice(r, n*n), make([]float32, n*n)
	for _, kc := range []int{128, 192, 256, 384, 512} {
		for _, mc := range []int{base.mr * 6, base.mr * 12, base.mr * 24} {
			g := base
			g.kc, g.mc = kc, mc
			best := time.Duration(1 << 62)
			for i := 0; i < 4; i++ {
				st := threadCPU()
				g.run(1, false, false, n, n, n, 1, a, n, nil, b, n, nil, nil, 0, c, n)
				best = min(best, threadCPU()-st)
			}
			t.Log(fmt.Sprintf("kc=%d mc=%d: %.1f GFLOP/s-cpu", kc, mc, 2*float64(n*n*n)/best.Seconds()/1e9))
		}
	}
}

// TestTuneLdc compares thread CPU time for an aliasing and a padded ldc.
func TestTuneLdc(t *testing.T) {
	if os.Getenv("AUTOPIPE_TUNE") == "" {
		t.Skip("set AUTOPIPE_TUNE=1")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	g, ok := DefaultGemm().(*blockedGemm)
	require.True(t, ok, "default GEMM %q is not a blocked kernel", DefaultGemm().Name())
	n := 1024
	r := rand.New(rand.NewPCG(1, 1))
	a, b, c := randSlice(r, n*n), randSlice(r, n*n), make([]float32, n*(n+64))
	for round := 0; round < 3; round++ {
		for _, ldc := range []int{n, n + 16, n + 32} {
			for _, kc := range []int{128, 256, 384} {
				gg := *g
				gg.kc = kc
				best := time.Duration(1 << 62)
				for i := 0; i < 3; i++ {
					st := threadCPU()
					gg.run(1, false, false, n, n, n, 1, a, n, nil, b, n, nil, nil, 0, c, ldc)
					best = min(best, threadCPU()-st)
				}
				t.Logf("ldc=%d kc=%d: %.1f GFLOP/s-cpu", ldc, kc, 2*float64(n*n*n)/best.Seconds()/1e9)
			}
		}
	}
}
