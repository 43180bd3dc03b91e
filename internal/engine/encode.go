package engine

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/tensor"
)

// TextEncoding is one text encoder's output for a prompt.
type TextEncoding struct {
	// Hidden is the last hidden state (final layer norm applied), or with
	// clip skip the chosen earlier hidden state.
	Hidden *tensor.Dense
	// Penultimate is hidden_states[-2] (SDXL conditions on it).
	Penultimate *tensor.Dense
	// Pooled is the pooled output, TextEmbeds the projection (if any).
	Pooled, TextEmbeds *tensor.Dense
	// HiddenStates are the embeddings and each layer's output.
	HiddenStates []*tensor.Dense
}

// EncodeText tokenizes text (padded and truncated to the tokenizer's
// model_max_length) and runs the encoder.
//
// clipSkip > 0 makes Hidden the output of clipSkip layers before the
// last, passed through the final layer norm when finalNorm is set (SD
// does; SDXL does not, it uses the raw hidden state).
func EncodeText(ctx context.Context, tok *clip.Tokenizer, enc *clip.TextModel, text string, clipSkip int, finalNorm bool) (*TextEncoding, error) {
	return EncodeIDs(ctx, enc, tok.Encode(text), clipSkip, finalNorm)
}

// EncodeIDs is EncodeText for token ids already made.
func EncodeIDs(ctx context.Context, enc *clip.TextModel, ids []int, clipSkip int, finalNorm bool) (*TextEncoding, error) {
	out, err := enc.Forward(ctx, [][]int{ids})
	if err != nil {
		return nil, fmt.Errorf("text encoder: %w", err)
	}
	hs := out.HiddenStates
	te := &TextEncoding{Hidden: out.LastHidden, Pooled: out.Pooled, TextEmbeds: out.TextEmbeds, HiddenStates: hs}
	if len(hs) >= 2 {
		te.Penultimate = hs[len(hs)-2]
	}
	if clipSkip > 0 {
		if clipSkip+1 > len(hs) {
			return nil, fmt.Errorf("clip_skip %d is larger than the text encoder's %d layers", clipSkip, len(hs)-1)
		}
		h := hs[len(hs)-(clipSkip+1)]
		if finalNorm {
			h = enc.Text.FinalLayerNorm.Forward(h)
		}
		te.Hidden = h
	}
	return te, nil
}
