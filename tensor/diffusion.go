package tensor

import "math"

// RepeatInterleave repeats each item of x's first dimension n times in a
// row: [a, b] -> [a, a, b, b] for n = 2 (torch's repeat_interleave on dim
// 0, and diffusers' repeat(1, n, 1).view(b*n, ...) of prompt embeddings).
func RepeatInterleave(x *Dense, n int) *Dense {
	if n == 1 {
		return x
	}
	sh := Shape(x)
	b := sh[0]
	src := F32(x)
	per := len(src) / b
	out := New(append([]int{b * n}, sh[1:]...)...)
	dst := F32(out)
	for i := 0; i < b; i++ {
		for j := 0; j < n; j++ {
			copy(dst[(i*n+j)*per:], src[i*per:(i+1)*per])
		}
	}
	return out
}

// Repeat tiles x n times along its first dimension: [a, b] -> [a, b, a, b]
// for n = 2 (torch's x.repeat(n, 1, ...)).
func Repeat(x *Dense, n int) *Dense {
	if n == 1 {
		return x
	}
	parts := make([]*Dense, n)
	for i := range parts {
		parts[i] = x
	}
	return Concat(0, parts...)
}

// Rows stacks n copies of v into an [n, len(v)] tensor.
func Rows(v []float32, n int) *Dense {
	return Repeat(FromSlice(append([]float32(nil), v...), 1, len(v)), n)
}

// Guidance returns uncond + scale*(cond-uncond), classifier-free guidance
// computed in float32 as torch does.
func Guidance(uncond, cond *Dense, scale float32) *Dense {
	out := New(Shape(uncond)...)
	o, u, c := F32(out), F32(uncond), F32(cond)
	for i := range o {
		o[i] = u[i] + scale*(c[i]-u[i])
	}
	return out
}

// RescaleGuidanceInPlace is diffusers' rescale_noise_cfg: each item of the
// guided prediction is rescaled to the standard deviation of the same item
// of the text prediction and mixed with the unrescaled one by phi.
func RescaleGuidanceInPlace(guided, text *Dense, phi float64) {
	n := Shape(guided)[0]
	g, tx := F32(guided), F32(text)
	per := len(g) / n
	for b := 0; b < n; b++ {
		gs, ts := g[b*per:(b+1)*per], tx[b*per:(b+1)*per]
		ratio := Std(ts) / Std(gs)
		for i := range gs {
			gs[i] = float32(phi)*(gs[i]*ratio) + float32(1-phi)*gs[i]
		}
	}
}

// Std is torch.std of x: the unbiased standard deviation, accumulated in
// float64.
func Std(x []float32) float32 {
	var sum float64
	for _, v := range x {
		sum += float64(v)
	}
	mean := sum / float64(len(x))
	var ss float64
	for _, v := range x {
		d := float64(v) - mean
		ss += d * d
	}
	return float32(math.Sqrt(ss / float64(len(x)-1)))
}

// NormalizeLatentsInPlace applies a VAE's per-channel latents statistics
// to an [N, C, ...] tensor before the denoiser sees it:
// x[:, c] = (x[:, c] - mean[c]) * scale / std[c].
func NormalizeLatentsInPlace(x *Dense, mean, std []float64, scale float32) {
	perChannel(x, func(v float32, c int) float32 {
		return (v - float32(mean[c])) * scale / float32(std[c])
	})
}

// DenormalizeLatentsInPlace undoes NormalizeLatentsInPlace before decoding:
// x[:, c] = x[:, c] * std[c] / scale + mean[c].
func DenormalizeLatentsInPlace(x *Dense, mean, std []float64, scale float32) {
	perChannel(x, func(v float32, c int) float32 {
		return v*float32(std[c])/scale + float32(mean[c])
	})
}

// perChannel maps every value of an [N, C, ...] tensor with its channel.
func perChannel(x *Dense, f func(v float32, c int) float32) {
	sh := Shape(x)
	d := F32(x)
	ch := sh[1]
	plane := len(d) / (sh[0] * ch)
	for i, v := range d {
		d[i] = f(v, (i/plane)%ch)
	}
}
