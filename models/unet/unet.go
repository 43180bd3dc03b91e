package unet

import (
	"context"
	"fmt"
	"github.com/goautopipe/diffusers/internal/panics"
	"path/filepath"

	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// Model is a UNet2DConditionModel built from its config.json.
type Model struct {
	ConvIn        *nn.Conv2D            `st:"conv_in"`
	TimeEmbedding *nn.TimestepEmbedding `st:"time_embedding"`
	TimeCondProj  *nn.Linear            `st:"time_embedding.cond_proj,optional"`
	AddEmbedding  *nn.TimestepEmbedding `st:"add_embedding"`
	DownBlocks    []*Block              `st:"down_blocks"`
	MidBlock      *MidBlock             `st:"mid_block"`
	UpBlocks      []*Block              `st:"up_blocks"`
	ConvNormOut   *nn.GroupNorm         `st:"conv_norm_out"`
	ConvOut       *nn.Conv2D            `st:"conv_out"`

	cfg         Config
	r           *resolved
	timeProj    nn.Timesteps
	addTimeProj nn.Timesteps
	crossDims   []int // distinct cross_attention_dim values of blocks with cross-attention
}

// AddedCond is the SDXL "text_time" conditioning: TextEmbeds [N, D] (the
// pooled text embeddings) and TimeIDs [N, k] (original size, crop
// coordinates, target size or aesthetic score); and, for models with
// time_cond_proj_dim (latent consistency models), TimestepCond
// [N, time_cond_proj_dim] (diffusers' timestep_cond, the guidance-scale
// embedding).
type AddedCond struct {
	TextEmbeds, TimeIDs *tensor.Dense
	TimestepCond        *tensor.Dense
}

// Config returns the model's config (diffusers' defaults filled in).
func (m *Model) Config() Config { return m.cfg }

// Load reads dir/config.json and the weights of a diffusers UNet component
// folder (diffusion_pytorch_model[.variant].safetensors, possibly sharded).
func Load(dir string, o weights.OpenOptions) (*Model, error) {
	cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	return weights.LoadModel(dir, o, weights.Spec[*Model]{
		Name:     "unet",
		Basename: "diffusion_pytorch_model",
		New:      func(weights.Source) (*Model, error) { return New(cfg) },
	})
}

// New returns an unloaded model laid out by cfg (fill it with weights.Load).
func New(cfg Config) (*Model, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("unet: %w", err)
	}
	boc := cfg.BlockOutChannels
	eps := float32(cfg.NormEps)
	m := &Model{
		cfg:           cfg,
		r:             r,
		ConvIn:        nn.NewConv2D(cfg.InChannels, boc[0], cfg.ConvInKernel),
		TimeEmbedding: nn.NewTimestepEmbedding(boc[0], r.timeEmbedDim),
		timeProj:      nn.Timesteps{Dim: boc[0], FlipSinToCos: cfg.FlipSinToCos, FreqShift: cfg.FreqShift},
		ConvNormOut:   nn.NewGroupNorm(r.groups, boc[0], eps),
		ConvOut:       nn.NewConv2D(boc[0], cfg.OutChannels, cfg.ConvOutKernel),
	}
	if err := m.addTimeCond(); err != nil {
		return nil, fmt.Errorf("unet: %w", err)
	}
	if r.addition == additionTextTime {
		m.addTimeProj = nn.Timesteps{Dim: r.addTimeDim, FlipSinToCos: cfg.FlipSinToCos, FreqShift: cfg.FreqShift}
		m.AddEmbedding = nn.NewTimestepEmbedding(r.addProjInput, r.timeEmbedDim)
	}
	base := blockArgs{temb: r.timeEmbedDim, groups: r.groups, eps: eps, linearProj: cfg.UseLinearProjection}
	dims := map[int]bool{}
	for _, build := range []func(blockArgs, map[int]bool) error{m.buildDown, m.buildMid, m.buildUp} {
		if err := build(base, dims); err != nil {
			return nil, fmt.Errorf("unet: %w", err)
		}
	}
	for d := range dims {
		m.crossDims = append(m.crossDims, d)
	}
	return m, nil
}

// Forward predicts the noise (or v, per the scheduler's prediction type)
// for sample [N, in_channels, H, W] at the given timesteps (one per batch
// item, or a single value used for all), conditioned on encoderHidden
// [N, L, cross_attention_dim] and, for SDXL-style models, added.
func (m *Model) Forward(ctx context.Context, sample *tensor.Dense, timestep []float32, encoderHidden *tensor.Dense, added *AddedCond) (out *tensor.Dense, err error) {
	if err := m.checkInputs(sample, timestep, encoderHidden, added); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			out = nil
		}
	}()
	defer panics.Recover(&err, "unet forward")
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	emb := m.embed(sample.Shape()[0], timestep, added) // [N, time_embed_dim]
	h := m.ConvIn.Forward(m.centered(sample))          // [N, block_out_channels[0], H, W]
	h, err = m.blocks(ctx, h, emb, encoderHidden)
	if err != nil {
		return nil, err
	}
	h = tensor.Replace(h, tensor.SiLUInPlace(m.ConvNormOut.Forward(h)))
	out = m.ConvOut.Forward(h) // [N, out_channels, H, W]
	tensor.Recycle(h)
	return out, nil
}

// embed returns the time embedding [nb, time_embed_dim] of the timesteps
// (one, or one per batch item), plus the text_time embedding when the model
// has one.
func (m *Model) embed(nb int, timestep []float32, added *AddedCond) *tensor.Dense {
	ts := timestep
	if len(ts) == 1 && nb > 1 {
		ts = make([]float32, nb)
		for i := range ts {
			ts[i] = timestep[0]
		}
	}
	emb := m.TimeEmbedding.Forward(m.timeInput(ts, added)) // [N, time_embed_dim]
	if m.AddEmbedding != nil {
		te := m.addTimeProj.Forward(tensor.F32(added.TimeIDs)) // [N*k, addition_time_embed_dim]
		te = tensor.Reshape(te, nb, -1)                        // [N, k*addition_time_embed_dim]
		addIn := tensor.Concat(1, added.TextEmbeds, te)        // [N, projection_class_embeddings_input_dim]
		tensor.AddInPlace(emb, m.AddEmbedding.Forward(addIn))
	}
	return emb
}

// centered maps the sample to 2x-1 when center_input_sample is set.
func (m *Model) centered(sample *tensor.Dense) *tensor.Dense {
	if !m.cfg.CenterInputSample {
		return sample
	}
	x := tensor.Clone(sample)
	v := tensor.F32(x)
	for i := range v {
		v[i] = 2*v[i] - 1
	}
	return x
}

// blocks runs the down, mid and up blocks, checking ctx between blocks.
func (m *Model) blocks(ctx context.Context, h, emb, ehs *tensor.Dense) (*tensor.Dense, error) {
	skips := []*tensor.Dense{h}
	for _, b := range m.DownBlocks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, skips = b.forwardDown(h, emb, ehs, skips) // [N, C_i, H/2^(i+1), W/2^(i+1)], the last block not halving
	}
	if m.MidBlock != nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h = m.MidBlock.forward(h, emb, ehs) // same shape
	}
	for i, b := range m.UpBlocks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		skips0 := skips[:len(skips)-len(b.Resnets)]
		oh, ow := 0, 0
		if i < len(m.UpBlocks)-1 && len(skips0) > 0 {
			// The next block's skip sets the size (diffusers' upsample_size,
			// equal to 2x whenever the input size divides evenly).
			ss := skips0[len(skips0)-1].Shape()
			oh, ow = ss[2], ss[3]
		}
		h, skips = b.forwardUp(h, emb, ehs, skips, oh, ow) // [N, C_j, oh, ow], the last block keeping the size
	}
	return h, nil
}

// checkInputs validates the shapes given to Forward.
func (m *Model) checkInputs(sample *tensor.Dense, timestep []float32, ehs *tensor.Dense, added *AddedCond) error {
	if sample == nil {
		return fmt.Errorf("unet: sample is nil")
	}
	s := sample.Shape()
	if len(s) != 4 {
		return fmt.Errorf("unet: sample must be [N, C, H, W], got shape %v", []int(s))
	}
	if s[1] != m.cfg.InChannels {
		return fmt.Errorf("unet: sample has %d channels, the model expects in_channels=%d", s[1], m.cfg.InChannels)
	}
	nb := s[0]
	if len(timestep) != 1 && len(timestep) != nb {
		return fmt.Errorf("unet: %d timesteps for a batch of %d (want 1 or %d)", len(timestep), nb, nb)
	}
	if err := m.checkEncoderHidden(nb, ehs); err != nil {
		return err
	}
	if err := m.checkTimeCond(nb, added); err != nil {
		return err
	}
	return m.checkAdded(nb, added)
}

// checkEncoderHidden checks the text conditioning [nb, L, cross_attention_dim].
func (m *Model) checkEncoderHidden(nb int, ehs *tensor.Dense) error {
	if len(m.crossDims) == 0 {
		return nil
	}
	if ehs == nil {
		return fmt.Errorf("unet: encoder hidden states are required by the cross-attention blocks")
	}
	es := ehs.Shape()
	if len(es) != 3 || es[0] != nb {
		return fmt.Errorf("unet: encoder hidden states must be [%d, L, D], got shape %v", nb, []int(es))
	}
	for _, d := range m.crossDims {
		if es[2] != d {
			return fmt.Errorf("unet: encoder hidden states have width %d, the model expects cross_attention_dim=%d", es[2], d)
		}
	}
	return nil
}

// checkAdded checks the text_time conditioning of SDXL-style models.
func (m *Model) checkAdded(nb int, added *AddedCond) error {
	if m.r.addition != additionTextTime {
		return nil
	}
	if added == nil || added.TextEmbeds == nil {
		return fmt.Errorf("unet: the model has addition_embed_type \"text_time\", which requires text_embeds in the added conditions")
	}
	if added.TimeIDs == nil {
		return fmt.Errorf("unet: the model has addition_embed_type \"text_time\", which requires time_ids in the added conditions")
	}
	ts, is := added.TextEmbeds.Shape(), added.TimeIDs.Shape()
	if len(ts) != 2 || ts[0] != nb {
		return fmt.Errorf("unet: text_embeds must be [%d, D], got shape %v", nb, []int(ts))
	}
	if len(is) != 2 || is[0] != nb {
		return fmt.Errorf("unet: time_ids must be [%d, k], got shape %v", nb, []int(is))
	}
	if got := ts[1] + is[1]*m.r.addTimeDim; got != m.r.addProjInput {
		return fmt.Errorf("unet: text_embeds width %d + %d time_ids x addition_time_embed_dim %d = %d, the model expects projection_class_embeddings_input_dim=%d",
			ts[1], is[1], m.r.addTimeDim, got, m.r.addProjInput)
	}
	return nil
}
