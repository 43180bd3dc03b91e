package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/goautopipe/diffusers/tensor"
)

// contender is one way of running an operation, measured like a GEMM
// implementation (only its name is used by measure).
type contender struct {
	tensor.Gemm
	name string
	bf16 tensor.Gemm // the bfloat16 GEMM to install; nil: the float32 fallback
	use  bool        // whether the weights are bfloat16
}

func (c contender) Name() string { return c.name }

// bf16Contenders are float32 weights on the default GEMM, bfloat16 weights
// widened while packing (the fallback), and bfloat16 weights on each
// bfloat16 kernel (the portable one only with all set: it is slow).
func bf16Contenders(all bool) []contender {
	def := tensor.DefaultGemm()
	cs := []contender{{Gemm: def, name: "fp32 " + def.Name()}, {Gemm: def, name: "bf16 widened", use: true}}
	for _, g := range tensor.BF16GemmImplementations() {
		if g.Name() == "gobf16" && !all {
			continue
		}
		cs = append(cs, contender{Gemm: def, name: "bf16 " + g.Name(), bf16: g, use: true})
	}
	return cs
}

// bf16Op is a product with weights: a Linear x[rows,in]·wᵀ or a 3×3 (or
// 1×1) convolution of an [n,c,h,w] image.
type bf16Op struct {
	name                string
	rows, in, out       int // linear
	n, c, h, w, o, kern int // conv
}

// bf16Ops are square products as linears and the UNet's real shapes
// (SD 1.5 at 512², batch 2 for classifier-free guidance).
func bf16Ops(sizes []int) []bf16Op {
	var ops []bf16Op
	for _, s := range sizes {
		ops = append(ops, bf16Op{name: fmt.Sprintf("linear %d^3", s), rows: s, in: s, out: s})
	}
	return append(ops,
		bf16Op{name: "conv 3x3 320@64^2", n: 2, c: 320, h: 64, w: 64, o: 320, kern: 3},
		bf16Op{name: "conv 3x3 640@32^2", n: 2, c: 640, h: 32, w: 32, o: 640, kern: 3},
		bf16Op{name: "conv 3x3 1280@16^2", n: 2, c: 1280, h: 16, w: 16, o: 1280, kern: 3},
		bf16Op{name: "conv 3x3 1280@8^2", n: 2, c: 1280, h: 8, w: 8, o: 1280, kern: 3},
		bf16Op{name: "attn proj 8192x320->320", rows: 8192, in: 320, out: 320},
		bf16Op{name: "attn proj 2048x640->640", rows: 2048, in: 640, out: 640},
		bf16Op{name: "attn proj 512x1280->1280", rows: 512, in: 1280, out: 1280},
		bf16Op{name: "cross k/v 154x768->320", rows: 154, in: 768, out: 320},
		bf16Op{name: "ff geglu 8192x320->2560", rows: 8192, in: 320, out: 2560},
		bf16Op{name: "ff out 8192x1280->320", rows: 8192, in: 1280, out: 320},
	)
}

func (op bf16Op) flops() float64 {
	if op.kern == 0 {
		return 2 * float64(op.rows) * float64(op.in) * float64(op.out)
	}
	return 2 * float64(op.n*op.o*op.h*op.w) * float64(op.c*op.kern*op.kern)
}

// runBF16 measures every op with every contender.
func runBF16(r *rand.Rand, sizes []int, rounds int, all bool) []result {
	var results []result
	cs := bf16Contenders(all)
	gemms := make([]tensor.Gemm, len(cs))
	for i, c := range cs {
		gemms[i] = c
	}
	for _, op := range bf16Ops(sizes) {
		wshape := []int{op.out, op.in}
		xshape := []int{op.rows, op.in}
		oshape := []int{op.rows, op.out}
		if op.kern > 0 {
			wshape = []int{op.o, op.c, op.kern, op.kern}
			xshape = []int{op.n, op.c, op.h, op.w}
			oshape = []int{op.n, op.o, op.h, op.w}
		}
		wf := randSlice(r, numel(wshape))
		bits := make([]uint16, len(wf))
		tensor.Float32ToBF16(bits, wf)
		w32, w16 := tensor.FromSlice(wf, wshape...), tensor.NewBF16(bits, wshape...)
		x := tensor.FromSlice(randSlice(r, numel(xshape)), xshape...)
		out := tensor.New(oshape...)
		results = append(results, measure(op.name, op.flops(), rounds, gemms, func(g tensor.Gemm) {
			c := g.(contender)
			w := w32
			if c.use {
				w = w16
				old := tensor.SetBF16Gemm(c.bf16)
				defer tensor.SetBF16Gemm(old)
			}
			if op.kern > 0 {
				tensor.Conv2DInto(out, x, w, nil, 1, op.kern/2)
			} else {
				tensor.LinearInto(out, x, w, nil)
			}
		})...)
	}
	return results
}

func numel(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}
