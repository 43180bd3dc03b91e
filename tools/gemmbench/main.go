// Command gemmbench measures the GEMM implementations of package tensor and
// the operations built on them (linear, conv2d, attention), printing GFLOP/s.
// Every measurement round runs the contenders one after another, so machine
// noise hits them alike; the best round is reported with its ratio to the
// reference implementation (openblas when built with -tags openblas), along
// with the process CPU time of that run. Each timed run follows a short
// pause: OpenBLAS's worker threads busy-wait after a call and would
// otherwise steal the cores from whatever runs next.
//
//	go run ./tools/gemmbench                                   # native kernels + gonum
//	OPENBLAS_CORETYPE=SkylakeX go run -tags openblas ./tools/gemmbench
//	go run ./tools/gemmbench -ops bf16 -sizes 1024,4096       # bfloat16 weights vs float32
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/goautopipe/diffusers/tensor"
)

// gonumGemm is gonum's pure-Go sgemm, the floor.
type gonumGemm struct{ impl gonum.Implementation }

func (gonumGemm) Name() string { return "gonum" }

func (g gonumGemm) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	g.impl.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

type result struct {
	op, impl  string
	flops     float64
	best, cpu time.Duration // best wall time, and the process CPU time of that run
}

// processCPU returns the CPU time used so far by the whole process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func main() {
	sizes := flag.String("sizes", "1024,4096", "comma-separated square sgemm sizes")
	rounds := flag.Int("rounds", 3, "measurement rounds (best is reported)")
	ops := flag.String("ops", "gemm,linear,conv,attn", "what to measure: gemm, linear, conv, attn, bf16 (float32 vs bfloat16 weights on square and UNet shapes)")
	bf16All := flag.Bool("bf16-all", false, "with -ops bf16, also run the portable bfloat16 kernel (slow)")
	impls := flag.String("impls", "", "comma-separated implementations (default: all, plus gonum for gemm)")
	noGonumAbove := flag.Int("gonum-max", 1024, "largest sgemm size run with gonum (it is slow)")
	flag.DurationVar(&pause, "pause", 300*time.Millisecond, "idle time before each timed run (lets OpenBLAS's spinning worker threads go to sleep)")
	flag.Parse()

	var gemms []tensor.Gemm
	want := map[string]bool{}
	for _, s := range strings.Split(*impls, ",") {
		if s != "" {
			want[s] = true
		}
	}
	all := append(tensor.GemmImplementations(), gonumGemm{})
	for _, g := range all {
		if len(want) == 0 || want[g.Name()] {
			gemms = append(gemms, g)
		}
	}
	ref := "openblas"
	if tensor.GemmByName(ref) == nil {
		ref = tensor.DefaultGemm().Name()
	}
	fmt.Printf("default %s, reference %s, GOMAXPROCS %d, OPENBLAS_CORETYPE=%q, %d rounds, best kept\n",
		tensor.DefaultGemm().Name(), ref, runtime.GOMAXPROCS(0), os.Getenv("OPENBLAS_CORETYPE"), *rounds)

	var results []result
	r := rand.New(rand.NewPCG(1, 2))
	doGemm, doConv, doAttn := strings.Contains(*ops, "gemm"), strings.Contains(*ops, "conv"), strings.Contains(*ops, "attn")
	if doGemm {
		for _, s := range strings.Split(*sizes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				fmt.Fprintln(os.Stderr, "gemmbench: bad size", s)
				os.Exit(2)
			}
			a, b, c := randSlice(r, n*n), randSlice(r, n*n), make([]float32, n*n)
			var cands []tensor.Gemm
			for _, g := range gemms {
				if g.Name() == "gonum" && n > *noGonumAbove || g.Name() == "go" && n > 1024 {
					continue
				}
				cands = append(cands, g)
			}
			results = append(results, measure(fmt.Sprintf("sgemm %d^3", n), 2*float64(n)*float64(n)*float64(n), *rounds, cands,
				func(g tensor.Gemm) { g.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n) })...)
		}
	}
	if strings.Contains(*ops, "bf16") {
		var sq []int
		for _, s := range strings.Split(*sizes, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
				sq = append(sq, n)
			}
		}
		results = append(results, runBF16(r, sq, *rounds, *bf16All)...)
	}
	var opGemms []tensor.Gemm
	for _, g := range gemms {
		if g.Name() != "gonum" && g.Name() != "go" {
			opGemms = append(opGemms, g)
		}
	}
	withGemm := func(f func()) func(g tensor.Gemm) {
		return func(g tensor.Gemm) {
			old := tensor.SetDefaultGemm(g)
			f()
			tensor.SetDefaultGemm(old)
		}
	}
	if strings.Contains(*ops, "linear") {
		x := tensor.FromSlice(randSlice(r, 2*4096*320), 2, 4096, 320)
		w := tensor.FromSlice(randSlice(r, 2560*320), 2560, 320)
		bias := tensor.FromSlice(randSlice(r, 2560), 2560)
		out := tensor.New(2, 4096, 2560)
		fl := 2 * 2 * 4096 * 320 * 2560.0
		results = append(results, measure("linear 2x4096x320 -> 2560", fl, *rounds, opGemms,
			withGemm(func() { tensor.LinearInto(out, x, w, bias) }))...)
	}
	if doConv {
		x := tensor.FromSlice(randSlice(r, 2*320*64*64), 2, 320, 64, 64)
		w := tensor.FromSlice(randSlice(r, 320*320*9), 320, 320, 3, 3)
		bias := tensor.FromSlice(randSlice(r, 320), 320)
		out := tensor.New(2, 320, 64, 64)
		fl := 2 * 2 * 320 * 64 * 64 * 320 * 9.0
		results = append(results, measure("conv2d 2x320x64x64 3x3 320->320", fl, *rounds, opGemms,
			withGemm(func() { tensor.Conv2DInto(out, x, w, bias, 1, 1) }))...)
		x2 := tensor.FromSlice(randSlice(r, 2*1280*8*8), 2, 1280, 8, 8)
		w2 := tensor.FromSlice(randSlice(r, 1280*1280*9), 1280, 1280, 3, 3)
		out2 := tensor.New(2, 1280, 8, 8)
		fl2 := 2 * 2 * 1280 * 8 * 8 * 1280 * 9.0
		results = append(results, measure("conv2d 2x1280x8x8 3x3 1280->1280", fl2, *rounds, opGemms,
			withGemm(func() { tensor.Conv2DInto(out2, x2, w2, nil, 1, 1) }))...)
	}
	if doAttn {
		const heads, d, lq = 8, 40, 4096
		q := tensor.FromSlice(randSlice(r, lq*heads*d), 1, lq, heads*d)
		for _, lk := range []int{4096, 77} {
			k := tensor.FromSlice(randSlice(r, lk*heads*d), 1, lk, heads*d)
			v := tensor.FromSlice(randSlice(r, lk*heads*d), 1, lk, heads*d)
			out := tensor.New(1, lq, heads*d)
			fl := 4 * float64(heads*lq*lk*d)
			results = append(results, measure(fmt.Sprintf("attention 4096q x %dk, 8x40", lk), fl, *rounds, opGemms,
				withGemm(func() { tensor.AttentionInto(out, q, k, v, heads, 0.158113883, false) }))...)
		}
	}

	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\timpl\tbest ms\tGFLOP/s\tvs "+ref+" (bf16 ops: vs fp32)\tcpu ms\tGFLOP/cpu-s\t")
	refTime := map[string]time.Duration{}
	for _, res := range results {
		if _, ok := refTime[res.op]; !ok && (res.impl == ref || strings.HasPrefix(res.impl, "fp32 ")) {
			refTime[res.op] = res.best
		}
	}
	for _, res := range results {
		ratio := "-"
		if rt, ok := refTime[res.op]; ok {
			ratio = fmt.Sprintf("%.2f", rt.Seconds()/res.best.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%s\t%.1f\t%.1f\t\n", res.op, res.impl, res.best.Seconds()*1e3,
			res.flops/res.best.Seconds()/1e9, ratio, res.cpu.Seconds()*1e3, res.flops/res.cpu.Seconds()/1e9)
	}
	tw.Flush()
}

// measure runs f for every implementation once to warm up, then rounds
// interleaved rounds, keeping each implementation's best time.
var pause time.Duration

func measure(op string, flops float64, rounds int, gemms []tensor.Gemm, f func(g tensor.Gemm)) []result {
	res := make([]result, len(gemms))
	for i, g := range gemms {
		f(g)
		res[i] = result{op: op, impl: g.Name(), flops: flops, best: time.Duration(1 << 62)}
	}
	for round := 0; round < rounds; round++ {
		for i, g := range gemms {
			time.Sleep(pause)
			st, cst := time.Now(), processCPU()
			f(g)
			if d := time.Since(st); d < res[i].best {
				res[i].best, res[i].cpu = d, processCPU()-cst
			}
		}
	}
	return res
}
