package clip

import (
	"fmt"
	"math"

	"github.com/goautopipe/diffusers/tensor"
)

// Limits on the tokens one copy may add.
const maxAddedTokens = 1024

// WithTokenEmbeddings returns a copy of the model whose vocabulary is
// extended by the rows of vectors ([n, hidden]), with ids VocabSize()...,
// and the first new id. The copy shares every weight with m; m is not
// changed (textual inversion for one pipeline leaves the others alone).
func (m *TextModel) WithTokenEmbeddings(vectors *tensor.Dense) (*TextModel, int, error) {
	sh := tensor.Shape(vectors)
	if len(sh) != 2 || sh[1] != m.cfg.HiddenSize || sh[0] < 1 || sh[0] > maxAddedTokens {
		return nil, 0, fmt.Errorf("clip: token embeddings of shape %v for hidden size %d", sh, m.cfg.HiddenSize)
	}
	data := tensor.F32(vectors)
	for _, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, 0, fmt.Errorf("clip: token embeddings hold a non-finite value")
		}
	}
	c := *m
	c.Text.Embeddings.extra = append(append([]float32(nil), m.Text.Embeddings.extra...), data...)
	first := m.cfg.VocabSize
	c.cfg.VocabSize += sh[0]
	return &c, first, nil
}

// tokenRow returns the embedding of token id; a row of float16 or
// bfloat16 storage is widened into buf (d long).
func (e *embeddings) tokenRow(id, d int, buf []float32) []float32 {
	if id >= e.vocab {
		id -= e.vocab
		return e.extra[id*d : (id+1)*d]
	}
	switch {
	case tensor.IsHalf(e.Token):
		tensor.HalfToFloat32(buf, tensor.HalfBits(e.Token)[id*d:(id+1)*d])
		return buf
	case tensor.IsBF16(e.Token):
		tensor.BF16ToFloat32(buf, tensor.BF16Bits(e.Token)[id*d:(id+1)*d])
		return buf
	}
	return tensor.F32(e.Token)[id*d : (id+1)*d]
}

// WithAddedTokens returns a copy of the tokenizer that also knows tokens,
// each standing for the ids it maps to (several for a multi-vector textual
// inversion, as diffusers' maybe_convert_prompt expands "<tok>" to "<tok>
// <tok>_1 ..."). They are matched like transformers' add_tokens: whole, on
// the normalized text. t is not changed.
func (t *Tokenizer) WithAddedTokens(tokens map[string][]int) (*Tokenizer, error) {
	if len(tokens) > maxAddedTokens {
		return nil, fmt.Errorf("clip: %d added tokens (at most %d)", len(tokens), maxAddedTokens)
	}
	c := &Tokenizer{
		vocab: t.vocab, merges: t.merges, alphabet: t.alphabet, endOfWord: t.endOfWord,
		added: t.added, addedNorm: append([]addedToken(nil), t.addedNorm...),
		bos: t.bos, eos: t.eos, pad: t.pad, unk: t.unk, hasUnk: t.hasUnk, maxLength: t.maxLength,
		specialMap: t.specialMap, cache: map[string][]int{}, expand: map[int][]int{},
	}
	for k, v := range t.expand {
		c.expand[k] = v
	}
	for tok, ids := range tokens {
		if tok == "" || len(ids) == 0 {
			return nil, fmt.Errorf("clip: added token %q without ids", tok)
		}
		if _, ok := t.vocab[tok]; ok || t.isAdded(tok) {
			return nil, fmt.Errorf("clip: token %q is already in the tokenizer's vocabulary", tok)
		}
		c.addedNorm = append(c.addedNorm, addedToken{content: tok, id: ids[0], normalized: true})
		if len(ids) > 1 {
			c.expand[ids[0]] = append([]int(nil), ids...)
		}
	}
	return c, nil
}

func (t *Tokenizer) isAdded(tok string) bool {
	for _, l := range [][]addedToken{t.added, t.addedNorm} {
		for _, a := range l {
			if a.content == tok {
				return true
			}
		}
	}
	return false
}
