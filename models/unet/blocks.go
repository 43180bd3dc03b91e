package unet

import (
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/tensor"
)

// blockArgs are the sizes a block constructor needs, derived from the
// config as UNet2DConditionModel.__init__ derives them.
type blockArgs struct {
	in, out, prevOut, temb int
	layers, tLayers        int
	addSampler             bool
	groups                 int
	eps                    float32
	heads, crossDim        int
	linearProj, onlyCross  bool
	downPadding            int
	outputScale            float32
	crossAttn              bool // set by the constructor table entry
}

// Block is a down or up block of the UNet (CrossAttnDownBlock2D,
// DownBlock2D, CrossAttnUpBlock2D, UpBlock2D): resnets, optional
// transformers after each resnet, and an optional resampler.
type Block struct {
	Resnets      []*nn.ResnetBlock2D      `st:"resnets"`
	Attentions   []*nn.Transformer2DModel `st:"attentions"`
	Downsamplers []*nn.Downsample2D       `st:"downsamplers"`
	Upsamplers   []*nn.Upsample2D         `st:"upsamplers"`

	Type string
}

// MidBlock is UNetMidBlock2DCrossAttn: resnets[0], then attentions[i] and
// resnets[i+1] for each layer.
type MidBlock struct {
	Resnets    []*nn.ResnetBlock2D      `st:"resnets"`
	Attentions []*nn.Transformer2DModel `st:"attentions"`

	Type string
}

type blockCtor func(a blockArgs) (*Block, error)

// downBlocks, upBlocks and midBlocks map config.json block type names to
// their constructors.
var (
	downBlocks = map[string]blockCtor{
		"CrossAttnDownBlock2D": func(a blockArgs) (*Block, error) { a.crossAttn = true; return newDownBlock(a) },
		"DownBlock2D":          newDownBlock,
	}
	upBlocks = map[string]blockCtor{
		"CrossAttnUpBlock2D": func(a blockArgs) (*Block, error) { a.crossAttn = true; return newUpBlock(a) },
		"UpBlock2D":          newUpBlock,
	}
	midBlocks = map[string]func(a blockArgs) (*MidBlock, error){
		"UNetMidBlock2DCrossAttn": newMidBlockCrossAttn,
	}
)

func keys[V any](m map[string]V) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

func (a blockArgs) resnet(in, out int, scale float32) *nn.ResnetBlock2D {
	return nn.NewResnetBlock2D(nn.ResnetConfig{In: in, Out: out, TembChannels: a.temb, Groups: a.groups, Eps: a.eps, OutputScaleFactor: scale})
}

func (a blockArgs) transformer(ch, layers int) (*nn.Transformer2DModel, error) {
	return nn.NewTransformer2DModel(nn.TransformerConfig{
		Heads: a.heads, DimHead: ch / a.heads, InChannels: ch, NumLayers: layers,
		CrossAttentionDim: a.crossDim, NormGroups: a.groups,
		UseLinearProjection: a.linearProj, OnlyCrossAttention: a.onlyCross,
	})
}

// addLayer appends a resnet from in channels to a.out and, in a
// cross-attention block, the transformer that follows it.
func (b *Block) addLayer(a blockArgs, in int) error {
	b.Resnets = append(b.Resnets, a.resnet(in, a.out, a.outputScale))
	if !a.crossAttn {
		return nil
	}
	t, err := a.transformer(a.out, a.tLayers)
	if err != nil {
		return err
	}
	b.Attentions = append(b.Attentions, t)
	return nil
}

func newDownBlock(a blockArgs) (*Block, error) {
	b := &Block{Type: "DownBlock2D"}
	if a.crossAttn {
		b.Type = "CrossAttnDownBlock2D"
	}
	for i := 0; i < a.layers; i++ {
		in := a.out
		if i == 0 {
			in = a.in
		}
		if err := b.addLayer(a, in); err != nil {
			return nil, err
		}
	}
	if a.addSampler {
		b.Downsamplers = []*nn.Downsample2D{nn.NewDownsample2D(a.out, a.out, true, a.downPadding)}
	}
	return b, nil
}

func newUpBlock(a blockArgs) (*Block, error) {
	b := &Block{Type: "UpBlock2D"}
	if a.crossAttn {
		b.Type = "CrossAttnUpBlock2D"
	}
	for i := 0; i < a.layers; i++ {
		skip := a.out
		if i == a.layers-1 {
			skip = a.in
		}
		in := a.out
		if i == 0 {
			in = a.prevOut
		}
		if err := b.addLayer(a, in+skip); err != nil {
			return nil, err
		}
	}
	if a.addSampler {
		b.Upsamplers = []*nn.Upsample2D{nn.NewUpsample2D(a.out, a.out, true)}
	}
	return b, nil
}

func newMidBlockCrossAttn(a blockArgs) (*MidBlock, error) {
	m := &MidBlock{Type: "UNetMidBlock2DCrossAttn", Resnets: []*nn.ResnetBlock2D{a.resnet(a.in, a.in, a.outputScale)}}
	for i := 0; i < a.layers; i++ {
		t, err := a.transformer(a.in, a.tLayers)
		if err != nil {
			return nil, err
		}
		m.Attentions = append(m.Attentions, t)
		m.Resnets = append(m.Resnets, a.resnet(a.in, a.in, a.outputScale))
	}
	return m, nil
}

// forwardDown runs a down block and appends its skip outputs to skips.
// Every output is a skip, kept until the up blocks consume it; a resnet's
// output followed by an attention is given back once the attention has
// read it.
func (b *Block) forwardDown(h, temb, ctx *tensor.Dense, skips []*tensor.Dense) (*tensor.Dense, []*tensor.Dense) {
	for i, r := range b.Resnets {
		h = r.Forward(h, temb) // [N, out, H, W]
		if b.Attentions != nil {
			h = tensor.Replace(h, b.Attentions[i].Forward(h, ctx))
		}
		skips = append(skips, h)
	}
	for _, d := range b.Downsamplers {
		h = d.Forward(h) // [N, out, ceil(H/2), ceil(W/2)]
		skips = append(skips, h)
	}
	return h, skips
}

// forwardUp runs an up block, consuming its skip inputs from the end of
// skips; oh, ow is the size to upsample to (0: twice the input size). h and
// the skips are given back to the buffer pool as they are consumed.
func (b *Block) forwardUp(h, temb, ctx *tensor.Dense, skips []*tensor.Dense, oh, ow int) (*tensor.Dense, []*tensor.Dense) {
	for i, r := range b.Resnets {
		s := skips[len(skips)-1]
		skips[len(skips)-1] = nil
		skips = skips[:len(skips)-1]
		h = tensor.Replace(h, tensor.Concat(1, h, s)) // [N, C + C_skip, H, W]
		tensor.Recycle(s)
		h = tensor.Replace(h, r.Forward(h, temb)) // [N, out, H, W]
		if b.Attentions != nil {
			h = tensor.Replace(h, b.Attentions[i].Forward(h, ctx))
		}
	}
	for _, u := range b.Upsamplers {
		h = tensor.Replace(h, u.Forward(h, oh, ow)) // [N, out, oh, ow] (2H, 2W when oh, ow are 0)
	}
	return h, skips
}

// forward runs the mid block on h (a skip, left as it is).
func (m *MidBlock) forward(h, temb, ctx *tensor.Dense) *tensor.Dense {
	h = m.Resnets[0].Forward(h, temb)
	for i, a := range m.Attentions {
		h = tensor.Replace(h, a.Forward(h, ctx))
		h = tensor.Replace(h, m.Resnets[i+1].Forward(h, temb))
	}
	return h
}
