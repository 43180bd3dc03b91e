package tensor

import (
	"math"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var goldenCache map[string]*Dense

func golden(t *testing.T) map[string]*Dense {
	t.Helper()
	if goldenCache == nil {
		m := testutil.LoadSafetensors(t, testutil.Golden("ops_nn.safetensors"))
		goldenCache = make(map[string]*Dense, len(m))
		for name, v := range m {
			goldenCache[name] = FromSlice(v.Data, v.Shape...)
		}
	}
	return goldenCache
}

func g(t *testing.T, name string) *Dense {
	t.Helper()
	v, ok := golden(t)[name]
	require.True(t, ok, "golden tensor %s missing", name)
	return v
}

// maxErr returns the largest absolute difference (+Inf for a NaN), and
// the largest magnitude of want.
func maxErr(got, want *Dense) (err, mag float64) {
	ws := F32(want)
	err, _ = testutil.MaxAbsDiff(F32(got), ws)
	for _, w := range ws {
		mag = math.Max(mag, math.Abs(float64(w)))
	}
	return err, mag
}

// expectClose fails unless got matches want in shape and to within
// tol·max(1, max|want|).
func expectClose(t *testing.T, what string, got, want *Dense, tol float64) {
	t.Helper()
	require.Equal(t, Shape(want), Shape(got), "%s: shape", what)
	err, mag := maxErr(got, want)
	if assert.LessOrEqual(t, err, tol*math.Max(1, mag), "%s: max abs err (max |want| %.3g)", what, mag) && testing.Verbose() {
		t.Logf("%s: max abs err %.3g (max |want| %.3g)", what, err, mag)
	}
}

const tol = 1e-5

func TestGoldenLinearMatMul(t *testing.T) {
	expectClose(t, "linear bias", Linear(g(t, "linear_bias.x"), g(t, "linear_bias.w"), g(t, "linear_bias.b")), g(t, "linear_bias.out"), tol)
	expectClose(t, "linear", Linear(g(t, "linear_nobias.x"), g(t, "linear_nobias.w"), nil), g(t, "linear_nobias.out"), tol)
	want := g(t, "bmm.out")
	a, b, at, bt := g(t, "bmm.a"), g(t, "bmm.b"), g(t, "bmm.at"), g(t, "bmm.bt")
	expectClose(t, "bmm NN", MatMul(a, b, false, false), want, tol)
	expectClose(t, "bmm TN", MatMul(at, b, true, false), want, tol)
	expectClose(t, "bmm NT", MatMul(a, bt, false, true), want, tol)
	expectClose(t, "bmm TT", MatMul(at, bt, true, true), want, tol)
	expectClose(t, "mm", MatMul(g(t, "mm.a"), g(t, "mm.b"), false, false), g(t, "mm.out"), tol)
}

func TestGoldenConv2D(t *testing.T) {
	for _, c := range []struct {
		name            string
		stride, padding int
	}{
		{"conv_k3s1p1", 1, 1}, {"conv_k3s2p1", 2, 1}, {"conv_k3s1p0", 1, 0},
		{"conv_k3s2p0", 2, 0}, {"conv_k1s1p0", 1, 0}, {"conv_k1s2p0", 2, 0},
	} {
		b := golden(t)[c.name+".b"]
		got := Conv2D(g(t, c.name+".x"), g(t, c.name+".w"), b, c.stride, c.padding)
		expectClose(t, c.name, got, g(t, c.name+".out"), tol)
	}
}

func TestGoldenNorms(t *testing.T) {
	forEachVectorLevel(t, testGoldenNorms)
}

func testGoldenNorms(t *testing.T) {
	expectClose(t, "groupnorm 4d", GroupNorm(g(t, "groupnorm4d.x"), 4, g(t, "groupnorm4d.g"), g(t, "groupnorm4d.b"), 1e-5), g(t, "groupnorm4d.out"), tol)
	expectClose(t, "groupnorm 3d", GroupNorm(g(t, "groupnorm3d.x"), 2, g(t, "groupnorm3d.g"), g(t, "groupnorm3d.b"), 1e-6), g(t, "groupnorm3d.out"), tol)
	gn := g(t, "groupnorm4d.out")
	expectClose(t, "groupnorm+silu", GroupNormSiLU(g(t, "groupnorm4d.x"), 4, g(t, "groupnorm4d.g"), g(t, "groupnorm4d.b"), 1e-5), SiLU(gn), tol)
	gx := Clone(g(t, "groupnorm4d.x"))
	expectClose(t, "groupnorm in place", GroupNormInto(gx, gx, 4, g(t, "groupnorm4d.g"), g(t, "groupnorm4d.b"), 1e-5), gn, tol)
	ln := Clone(g(t, "layernorm.x"))
	expectClose(t, "layernorm in place", LayerNormInto(ln, ln, g(t, "layernorm.g"), g(t, "layernorm.b"), 1e-5), g(t, "layernorm.out"), tol)
	expectClose(t, "layernorm", LayerNorm(g(t, "layernorm.x"), g(t, "layernorm.g"), g(t, "layernorm.b"), 1e-5), g(t, "layernorm.out"), tol)
}

func TestGoldenActivations(t *testing.T) {
	forEachVectorLevel(t, testGoldenActivations)
}

func testGoldenActivations(t *testing.T) {
	x := g(t, "act.x")
	expectClose(t, "silu", SiLU(x), g(t, "act.silu"), tol)
	expectClose(t, "silu in place", SiLUInPlace(Clone(x)), g(t, "act.silu"), tol)
	expectClose(t, "gelu", GELU(x), g(t, "act.gelu"), tol)
	expectClose(t, "gelu tanh", GELUTanh(x), g(t, "act.gelu_tanh"), tol)
	expectClose(t, "quick gelu", QuickGELU(x), g(t, "act.quick_gelu"), tol)
	expectClose(t, "sigmoid", Sigmoid(x), g(t, "act.sigmoid"), tol)
	expectClose(t, "geglu", GEGLU(g(t, "geglu.x")), g(t, "geglu.out"), tol)
	expectClose(t, "softmax", Softmax(g(t, "softmax.x")), g(t, "softmax.out"), tol)
	expectClose(t, "softmax in place", SoftmaxInPlace(Clone(g(t, "softmax.x"))), g(t, "softmax.out"), tol)
}

func TestGoldenAttention(t *testing.T) {
	forEachVectorLevel(t, testGoldenAttention)
}

func testGoldenAttention(t *testing.T) {
	for _, c := range []struct {
		name   string
		heads  int
		causal bool
	}{
		{"attn_self", 4, false}, {"attn_cross", 2, false}, {"attn_causal", 3, true}, {"attn_long", 2, false},
	} {
		q := g(t, c.name+".q")
		d := q.Shape()[2] / c.heads
		scale := float32(1 / math.Sqrt(float64(d)))
		got := Attention(q, g(t, c.name+".k"), g(t, c.name+".v"), c.heads, scale, c.causal)
		expectClose(t, c.name, got, g(t, c.name+".out"), tol)
	}
}

// TestAttentionBlocks forces several query blocks per head.
func TestAttentionBlocks(t *testing.T) {
	old := attnScoreFloats
	defer func() { attnScoreFloats = old }()
	for _, c := range []struct {
		name   string
		heads  int
		causal bool
		limit  int
	}{
		{"attn_long", 2, false, 7 * 300}, {"attn_causal", 3, true, 2 * 9}, {"attn_cross", 2, false, 77 * 5},
	} {
		attnScoreFloats = c.limit
		q := g(t, c.name+".q")
		scale := float32(1 / math.Sqrt(float64(q.Shape()[2]/c.heads)))
		got := Attention(q, g(t, c.name+".k"), g(t, c.name+".v"), c.heads, scale, c.causal)
		expectClose(t, c.name+" blocked", got, g(t, c.name+".out"), tol)
	}
}

func TestGoldenDataMovement(t *testing.T) {
	expectClose(t, "upsample", UpsampleNearest2x(g(t, "upsample.x")), g(t, "upsample.out"), 0)
	expectClose(t, "concat", Concat(1, g(t, "concat.a"), g(t, "concat.b")), g(t, "concat.out"), 0)
	expectClose(t, "concat neg dim", Concat(-2, g(t, "concat.a"), g(t, "concat.b")), g(t, "concat.out"), 0)
	x := g(t, "chunk.x")
	c1 := Chunk(x, 3, 1)
	require.Len(t, c1, 3, "chunk(3,1)")
	for i, c := range c1 {
		expectClose(t, "chunk dim1", c, g(t, "chunk.d1_"+string(rune('0'+i))), 0)
	}
	c2 := Chunk(x, 4, 2)
	require.Len(t, c2, 3, "chunk(4,2): 3 pieces like torch")
	for i, c := range c2 {
		expectClose(t, "chunk dim2", c, g(t, "chunk.d2_"+string(rune('0'+i))), 0)
	}
	expectClose(t, "bcast add", Add(g(t, "bcast_add.a"), g(t, "bcast_add.b")), g(t, "bcast_add.out"), tol)
	expectClose(t, "add in place", AddInPlace(Clone(g(t, "bcast_add.a")), g(t, "bcast_add.b")), g(t, "bcast_add.out"), tol)
	expectClose(t, "bcast mul", Mul(g(t, "bcast_mul.a"), g(t, "bcast_mul.b")), g(t, "bcast_mul.out"), tol)
	expectClose(t, "bcast sub", Sub(g(t, "bcast_sub.a"), g(t, "bcast_sub.b")), g(t, "bcast_sub.out"), tol)
	expectClose(t, "permute", Permute(g(t, "permute.x"), 0, 2, 3, 1), g(t, "permute.out"), 0)
}

func TestGoldenTimestepEmbedding(t *testing.T) {
	for _, c := range []struct {
		name  string
		dim   int
		flip  bool
		shift float64
	}{
		{"temb_flip_shift1", 320, true, 1}, {"temb_noflip_shift0", 320, false, 0},
		{"temb_odd", 33, true, 0}, {"temb_flip_shift0", 256, true, 0},
	} {
		got := TimestepEmbedding(F32(g(t, c.name+".t")), c.dim, c.flip, c.shift, 1, 10000)
		// torch's vectorised exp is not correctly rounded: a few frequencies
		// differ by one ulp, and at t≈1000 one ulp of the sine's argument is
		// 6e-5, so the tolerance follows the argument's precision.
		expectClose(t, c.name, got, g(t, c.name+".out"), 1e-4)
	}
}

// opaqueGemm hides an implementation's concrete type, so operations take
// their generic paths (im2col, unpacked attention).
type opaqueGemm struct{ Gemm }

// TestGoldenEveryGemm runs the GEMM-based goldens with every
// implementation as the default, and through the generic paths.
func TestGoldenEveryGemm(t *testing.T) {
	impls := GemmImplementations()
	for _, g := range impls {
		impls = append(impls, opaqueGemm{g})
	}
	defer SetDefaultGemm(SetDefaultGemm(impls[0]))
	for _, impl := range impls {
		SetDefaultGemm(impl)
		name := impl.Name()
		if _, ok := impl.(opaqueGemm); ok {
			name += " (generic paths)"
		}
		for _, c := range []struct {
			name            string
			stride, padding int
		}{{"conv_k3s1p1", 1, 1}, {"conv_k3s2p1", 2, 1}, {"conv_k3s1p0", 1, 0}, {"conv_k1s2p0", 2, 0}} {
			got := Conv2D(g(t, c.name+".x"), g(t, c.name+".w"), golden(t)[c.name+".b"], c.stride, c.padding)
			expectClose(t, name+" "+c.name, got, g(t, c.name+".out"), tol)
		}
		for _, c := range []struct {
			name   string
			heads  int
			causal bool
		}{{"attn_cross", 2, false}, {"attn_causal", 3, true}, {"attn_long", 2, false}} {
			q := g(t, c.name+".q")
			scale := float32(1 / math.Sqrt(float64(q.Shape()[2]/c.heads)))
			got := Attention(q, g(t, c.name+".k"), g(t, c.name+".v"), c.heads, scale, c.causal)
			expectClose(t, name+" "+c.name, got, g(t, c.name+".out"), tol)
		}
		expectClose(t, name+" linear", Linear(g(t, "linear_bias.x"), g(t, "linear_bias.w"), g(t, "linear_bias.b")), g(t, "linear_bias.out"), tol)
		expectClose(t, name+" bmm", MatMul(g(t, "bmm.at"), g(t, "bmm.b"), true, false), g(t, "bmm.out"), tol)
	}
}

// forEachVectorLevel runs f with each vector path of the elementwise
// kernels the machine has, then with the scalar one.
func forEachVectorLevel(t *testing.T, f func(t *testing.T)) {
	defer func(a, b bool) { useAVX512Exp, useAVX2Exp = a, b }(useAVX512Exp, useAVX2Exp)
	levels := [][2]bool{{useAVX512Exp, useAVX2Exp}}
	if useAVX512Exp && useAVX2Exp {
		levels = append(levels, [2]bool{false, true})
	}
	levels = append(levels, [2]bool{false, false})
	for _, l := range levels {
		useAVX512Exp, useAVX2Exp = l[0], l[1]
		f(t)
	}
}
