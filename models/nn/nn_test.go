package nn

import (
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/internal/testutil/weightstest"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBlocksGolden(t *testing.T) {
	src := weightstest.Open(t, testutil.Golden("unet_nn_blocks.safetensors"))
	type tc struct {
		name  string
		build func() (any, error)
		run   func(m any, in func(string) *tensor.Dense) *tensor.Dense
	}
	tr := func(c TransformerConfig) func() (any, error) {
		return func() (any, error) { return NewTransformer2DModel(c) }
	}
	cases := []tc{
		{"resnet", func() (any, error) {
			return NewResnetBlock2D(ResnetConfig{In: 32, Out: 32, TembChannels: 48, Groups: 8, Eps: 1e-5}), nil
		}, func(m any, in func(string) *tensor.Dense) *tensor.Dense {
			return m.(*ResnetBlock2D).Forward(in("x"), in("temb"))
		}},
		{"resnet_short", func() (any, error) {
			return NewResnetBlock2D(ResnetConfig{In: 32, Out: 64, Groups: 8, Eps: 1e-6, OutputScaleFactor: 2}), nil
		}, func(m any, in func(string) *tensor.Dense) *tensor.Dense {
			return m.(*ResnetBlock2D).Forward(in("x"), nil)
		}},
		{"transformer", tr(TransformerConfig{Heads: 2, DimHead: 16, InChannels: 32, NumLayers: 2, CrossAttentionDim: 24, NormGroups: 8}),
			func(m any, in func(string) *tensor.Dense) *tensor.Dense {
				return m.(*Transformer2DModel).Forward(in("x"), in("ctx"))
			}},
		{"transformer_lin", tr(TransformerConfig{Heads: 4, DimHead: 8, InChannels: 32, NumLayers: 1, CrossAttentionDim: 24, NormGroups: 8,
			UseLinearProjection: true, OnlyCrossAttention: true}),
			func(m any, in func(string) *tensor.Dense) *tensor.Dense {
				return m.(*Transformer2DModel).Forward(in("x"), in("ctx"))
			}},
		{"attn_spatial", func() (any, error) {
			return NewAttention(AttentionConfig{QueryDim: 32, Heads: 1, DimHead: 32, Bias: true, OutBias: true,
				NormGroups: 8, NormEps: 1e-6, ResidualConnection: true}), nil
		}, func(m any, in func(string) *tensor.Dense) *tensor.Dense {
			return m.(*Attention).Forward(in("x"), nil)
		}},
		{"down_pad0", func() (any, error) { return NewDownsample2D(16, 16, true, 0), nil },
			func(m any, in func(string) *tensor.Dense) *tensor.Dense { return m.(*Downsample2D).Forward(in("x")) }},
		{"down_pad1", func() (any, error) { return NewDownsample2D(16, 16, true, 1), nil },
			func(m any, in func(string) *tensor.Dense) *tensor.Dense { return m.(*Downsample2D).Forward(in("x")) }},
		{"up", func() (any, error) { return NewUpsample2D(16, 8, true), nil },
			func(m any, in func(string) *tensor.Dense) *tensor.Dense {
				return m.(*Upsample2D).Forward(in("x"), 0, 0)
			}},
		{"up_size", func() (any, error) { return NewUpsample2D(16, 8, true), nil },
			func(m any, in func(string) *tensor.Dense) *tensor.Dense {
				return m.(*Upsample2D).Forward(in("x"), 7, 5)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := c.build()
			require.NoError(t, err)
			require.NoError(t, weights.Load(src, m, weights.WithPrefix("w."+c.name)), "load")
			got := c.run(m, func(n string) *tensor.Dense { return weightstest.Tensor(t, src, "in."+c.name+"."+n) })
			d := testutil.DenseMaxAbsDiff(t, got, weightstest.Tensor(t, src, "out."+c.name))
			t.Logf("max abs err %.3g", d)
			assert.LessOrEqual(t, d, 1e-4, "max abs err")
		})
	}
}

func TestCheckLoaded(t *testing.T) {
	r := NewResnetBlock2D(ResnetConfig{In: 8, Out: 16, TembChannels: 4, Groups: 4, Eps: 1e-5})
	r.Conv1.Weight, r.Conv1.Bias = tensor.New(16, 8, 3, 3), tensor.New(16)
	err := CheckLoaded(r)
	require.Error(t, err, "no error for missing biases")
	for _, want := range []string{"conv2.bias", "time_emb_proj.bias", "conv_shortcut.bias"} {
		assert.ErrorContains(t, err, want)
	}
	assert.NotContains(t, err.Error(), "conv1.bias", "error names the loaded conv1.bias")
	a := NewAttention(AttentionConfig{QueryDim: 8, Heads: 2, DimHead: 4, OutBias: true})
	a.ToQ.Bias = tensor.New(8)
	err = CheckLoaded(a)
	assert.ErrorContains(t, err, "to_q.bias", "stray to_q.bias")
	assert.ErrorContains(t, err, "does not have", "stray to_q.bias")
}

// TestFeedForwardChunks checks that the row-chunked feed-forward equals the
// unchunked computation for sequences longer than a chunk.
func TestFeedForwardChunks(t *testing.T) {
	defer func(f, r int) { ffChunkFloats, ffMinRows = f, r }(ffChunkFloats, ffMinRows)
	ffChunkFloats, ffMinRows = 24*300, 16 // 300-row chunks for the geglu case
	for _, act := range []string{"geglu", "gelu", "gelu-approximate"} {
		f, err := NewFeedForward(8, 12, 6, act, true)
		require.NoError(t, err)
		seq := func(n int, s float32) *tensor.Dense {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32((i*7919)%97)/97*s - s/2
			}
			return tensor.FromSlice(v, n)
		}
		f.Proj.Weight = tensor.Reshape(seq(f.Proj.Out*8, 1), f.Proj.Out, 8)
		f.Proj.Bias = seq(f.Proj.Out, 0.5)
		f.Out.Weight = tensor.Reshape(seq(6*12, 1), 6, 12)
		f.Out.Bias = seq(6, 0.5)
		x := tensor.Reshape(seq(2*1300*8, 3), 2, 1300, 8)
		got := f.Forward(x)
		h := tensor.Linear(x, f.Proj.Weight, f.Proj.Bias)
		switch act {
		case "geglu":
			h = tensor.GEGLU(h)
		case "gelu":
			h = tensor.GELU(h)
		default:
			h = tensor.GELUTanh(h)
		}
		want := tensor.Linear(h, f.Out.Weight, f.Out.Bias)
		assert.LessOrEqual(t, testutil.DenseMaxAbsDiff(t, got, want), 1e-6, "%s: chunked feed-forward differs", act)
	}
}
