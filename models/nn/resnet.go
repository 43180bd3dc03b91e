package nn

import "github.com/goautopipe/diffusers/tensor"

// ResnetConfig sizes a ResnetBlock2D (diffusers' ResnetBlock2D with
// time_embedding_norm "default" and the SiLU non-linearity).
type ResnetConfig struct {
	In, Out int
	// TembChannels is the width of the time embedding; 0 means the block
	// has no time_emb_proj (VAE blocks).
	TembChannels int
	// Groups is the group count of norm1; GroupsOut that of norm2 (0: Groups).
	Groups, GroupsOut int
	Eps               float32
	// OutputScaleFactor divides the sum of residual and block output (0: 1).
	OutputScaleFactor float32
	// UseInShortcut forces (or forbids) the 1x1 conv_shortcut; nil means
	// "when In != Out", as in diffusers.
	UseInShortcut *bool
}

// ResnetBlock2D is diffusers' ResnetBlock2D:
//
//	h = conv1(silu(norm1(x))) + time_emb_proj(silu(temb))[:, :, None, None]
//	h = conv2(silu(norm2(h)))
//	out = (shortcut(x) + h) / output_scale_factor
type ResnetBlock2D struct {
	Norm1        *GroupNorm `st:"norm1"`
	Conv1        *Conv2D    `st:"conv1"`
	TimeEmbProj  *Linear    `st:"time_emb_proj"`
	Norm2        *GroupNorm `st:"norm2"`
	Conv2        *Conv2D    `st:"conv2"`
	ConvShortcut *Conv2D    `st:"conv_shortcut"`

	Cfg ResnetConfig
}

// NewResnetBlock2D returns an unloaded block sized by c.
func NewResnetBlock2D(c ResnetConfig) *ResnetBlock2D {
	if c.GroupsOut == 0 {
		c.GroupsOut = c.Groups
	}
	if c.OutputScaleFactor == 0 {
		c.OutputScaleFactor = 1
	}
	r := &ResnetBlock2D{
		Norm1: NewGroupNorm(c.Groups, c.In, c.Eps),
		Conv1: NewConv2D(c.In, c.Out, 3),
		Norm2: NewGroupNorm(c.GroupsOut, c.Out, c.Eps),
		Conv2: NewConv2D(c.Out, c.Out, 3),
		Cfg:   c,
	}
	if c.TembChannels > 0 {
		r.TimeEmbProj = NewLinear(c.TembChannels, c.Out, true)
	}
	short := c.In != c.Out
	if c.UseInShortcut != nil {
		short = *c.UseInShortcut
	}
	if short {
		r.ConvShortcut = NewConv2DOpts(c.In, c.Out, 1, 1, 0, true)
	}
	return r
}

// Forward runs the block on x [N, In, H, W]; temb [N, TembChannels] may be
// nil (it is ignored when the block has no time_emb_proj).
func (r *ResnetBlock2D) Forward(x, temb *tensor.Dense) *tensor.Dense {
	n := tensor.SiLUInPlace(r.Norm1.Forward(x))
	h := tensor.Replace(n, r.Conv1.Forward(n)) // [N, Out, H, W]
	if temb != nil && r.TimeEmbProj != nil {
		t := r.TimeEmbProj.Forward(tensor.SiLU(temb)) // [N, Out]
		n := t.Shape()[0]
		tensor.AddInPlace(h, tensor.Reshape(t, n, r.Cfg.Out, 1, 1)) // broadcast over [N, Out, H, W]
	}
	n = tensor.Replace(h, tensor.SiLUInPlace(r.Norm2.Forward(h)))
	h = tensor.Replace(n, r.Conv2.Forward(n))
	if r.ConvShortcut != nil {
		s := r.ConvShortcut.Forward(x) // [N, Out, H, W]
		tensor.AddInPlace(h, s)
		tensor.Recycle(s)
	} else {
		tensor.AddInPlace(h, x)
	}
	if r.Cfg.OutputScaleFactor != 1 {
		divInPlace(h, r.Cfg.OutputScaleFactor)
	}
	return h
}
