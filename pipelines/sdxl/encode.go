package sdxl

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/internal/engine"
	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
)

// Encode returns the prompt conditioning: both encoders' hidden states,
// the pooled projection and the micro-conditioning time ids, with the
// negative ones before them when guidance is on (diffusers' encode_prompt
// and _get_add_time_ids).
func (e encoder) Encode(ctx context.Context, r pipelines.Request, size engine.Size) (engine.Conditioning, error) {
	p, n := e.p, r.NumImagesPerPrompt
	embeds, pooled, err := p.encodePrompts(ctx, [2]string{r.Prompt, or(r.Prompt2, r.Prompt)}, r.ClipSkip)
	if err != nil {
		return engine.Conditioning{}, err
	}
	embeds, pooled = tensor.RepeatInterleave(embeds, n), tensor.RepeatInterleave(pooled, n)
	ids := p.timeIDs(r, size)
	if err := p.checkAddedDim(len(ids.pos), pooled.Shape()[1], r, ids.target); err != nil {
		return engine.Conditioning{}, err
	}
	if !engine.DoCFG(r) {
		return engine.Conditioning{Embeds: embeds, Added: &unet.AddedCond{TextEmbeds: pooled, TimeIDs: tensor.Rows(ids.pos, n)}}, nil
	}
	nEmbeds, nPooled, err := p.negative(ctx, r, embeds, pooled)
	if err != nil {
		return engine.Conditioning{}, err
	}
	return engine.Conditioning{
		CFG:    true,
		Embeds: tensor.Concat(0, nEmbeds, embeds),
		Added:  &unet.AddedCond{TextEmbeds: tensor.Concat(0, nPooled, pooled), TimeIDs: p.guidedTimeIDs(ids, n)},
	}, nil
}

// negative encodes the negative prompts, or gives zeros for an empty one
// when force_zeros_for_empty_prompt is set.
func (p *Pipeline) negative(ctx context.Context, r pipelines.Request, embeds, pooled *tensor.Dense) (*tensor.Dense, *tensor.Dense, error) {
	if p.forceZeros && r.NegativePrompt == "" {
		return tensor.New(embeds.Shape()...), tensor.New(pooled.Shape()...), nil
	}
	e, pl, err := p.encodePrompts(ctx, [2]string{r.NegativePrompt, or(r.NegativePrompt2, r.NegativePrompt)}, 0)
	if err != nil {
		return nil, nil, err
	}
	n := r.NumImagesPerPrompt
	return tensor.RepeatInterleave(e, n), tensor.RepeatInterleave(pl, n), nil
}

type textModel struct {
	tok *clip.Tokenizer
	enc *clip.TextModel
}

// textModels pairs the tokenizers with their encoders; a pipeline with
// only the second encoder (the refiner) uses the first prompt.
func (p *Pipeline) textModelPairs() []textModel {
	if p.enc == nil {
		return []textModel{{p.tok2, p.enc2}}
	}
	return []textModel{{p.tok, p.enc}, {p.tok2, p.enc2}}
}

// encodePrompts returns the concatenated hidden states (hidden_states[-2],
// or earlier with clip skip) and the pooled projection.
func (p *Pipeline) encodePrompts(ctx context.Context, prompts [2]string, clipSkip int) (*tensor.Dense, *tensor.Dense, error) {
	var hidden []*tensor.Dense
	var pooled *tensor.Dense
	for i, m := range p.textModelPairs() {
		te, err := engine.EncodeText(ctx, m.tok, m.enc, prompts[i], 0, false)
		if err != nil {
			return nil, nil, err
		}
		hs := te.HiddenStates
		k := len(hs) - (clipSkip + 2)
		if k < 0 {
			return nil, nil, fmt.Errorf("clip_skip %d is larger than the text encoder's %d layers", clipSkip, len(hs)-1)
		}
		hidden = append(hidden, hs[k])
		if pooled == nil && te.TextEmbeds != nil {
			pooled = te.TextEmbeds
		}
	}
	if pooled == nil {
		return nil, nil, fmt.Errorf("%s: text_encoder_2 has no text projection (want CLIPTextModelWithProjection)", p.ClassName())
	}
	return tensor.Concat(2, hidden...), pooled, nil
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
