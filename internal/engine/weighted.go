package engine

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/internal/promptsyntax"
	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
)

// PromptSyntaxA1111 is the Request.PromptSyntax value that reads prompts
// in AUTOMATIC1111's syntax.
const PromptSyntaxA1111 = "a1111"

// CheckPromptSyntax rejects an unknown Request.PromptSyntax.
func CheckPromptSyntax(r pipelines.Request) error {
	if r.PromptSyntax != "" && r.PromptSyntax != PromptSyntaxA1111 {
		return invalid("prompt_syntax %q: want \"\" (diffusers) or %q", r.PromptSyntax, PromptSyntaxA1111)
	}
	return nil
}

// EncodeWeightedPair encodes a prompt and a negative prompt written in
// A1111's syntax (internal/promptsyntax): each in windows of 75 tokens,
// every window's hidden state weighted with its mean restored, the windows
// concatenated along the token axis ([1, 77*n, dim]). The shorter of the
// two is extended with windows of the empty prompt, so both have the same
// length (A1111's pad_cond_uncond). neg is nil when withNeg is false.
func EncodeWeightedPair(ctx context.Context, tok *clip.Tokenizer, enc *clip.TextModel, prompt, negative string,
	withNeg bool, clipSkip int, finalNorm bool) (pos, neg *tensor.Dense, err error) {
	encode := func(text string, skip int) ([]*tensor.Dense, error) {
		chunks, err := promptsyntax.Chunks(promptsyntax.Parse(text), tok, commaID(tok))
		if err != nil {
			return nil, err
		}
		out := make([]*tensor.Dense, len(chunks))
		for i, ch := range chunks {
			te, err := EncodeIDs(ctx, enc, ch.Tokens, skip, finalNorm)
			if err != nil {
				return nil, err
			}
			h := te.Hidden.Clone().(*tensor.Dense)
			shape := tensor.Shape(h)
			if err := promptsyntax.Emphasize(tensor.F32(h), ch.Weights, shape[len(shape)-1]); err != nil {
				return nil, fmt.Errorf("text encoder: %w", err)
			}
			out[i] = h
		}
		return out, nil
	}
	p, err := encode(prompt, clipSkip)
	if err != nil || !withNeg {
		return cat(p), nil, err
	}
	n, err := encode(negative, 0)
	if err != nil {
		return nil, nil, err
	}
	if len(p) != len(n) {
		empty, err := encode("", 0)
		if err != nil {
			return nil, nil, err
		}
		for len(p) < len(n) {
			p = append(p, empty[0])
		}
		for len(n) < len(p) {
			n = append(n, empty[0])
		}
	}
	return cat(p), cat(n), nil
}

func cat(xs []*tensor.Dense) *tensor.Dense {
	if len(xs) == 0 {
		return nil
	}
	return tensor.Concat(1, xs...)
}

// commaID is the token id of ",", or -1.
func commaID(tok *clip.Tokenizer) int {
	if ids := tok.Tokenize(","); len(ids) == 1 {
		return ids[0]
	}
	return -1
}
