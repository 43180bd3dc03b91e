package promptsyntax

import "fmt"

// ChunkLength is the number of prompt tokens in one CLIP window; with the
// start and end tokens a window is 77 tokens, CLIP's context.
const ChunkLength = 75

// CommaBacktrack is how far back (in tokens) a chunk that fills up looks
// for a comma to break at instead (A1111's comma_padding_backtrack
// default).
const CommaBacktrack = 20

// MaxChunks bounds the number of windows a prompt may take.
const MaxChunks = 32

// Tokenizer is what Chunks needs of a CLIP tokenizer.
type Tokenizer interface {
	// Tokenize returns the token ids of text without start/end tokens.
	Tokenize(text string) []int
	BOS() int
	EOS() int
	Pad() int
}

// Chunk is one CLIP window: ChunkLength+2 token ids (start, prompt tokens,
// padding, end) and the weight of each.
type Chunk struct {
	Tokens  []int
	Weights []float64
}

// chunker accumulates tokens into chunks.
type chunker struct {
	tok       Tokenizer
	comma     int
	tokens    []int
	weights   []float64
	lastComma int
	out       []Chunk
}

// Chunks tokenizes fragments into windows of ChunkLength tokens, as A1111
// does: a BREAK or a full window starts a new one; when a window fills up
// less than CommaBacktrack tokens after a comma, the tokens after the comma
// move to the next window. Short windows are padded with the pad token
// (weight 1). An empty prompt gives one window. comma is the id of the ","
// token (-1: no comma backtracking).
func Chunks(frags []Fragment, tok Tokenizer, comma int) ([]Chunk, error) {
	c := &chunker{tok: tok, comma: comma, lastComma: -1}
	for _, f := range frags {
		if f.Break {
			c.next()
			continue
		}
		for _, id := range tok.Tokenize(f.Text) {
			c.add(id, f.Weight)
		}
		if len(c.out) > MaxChunks {
			return nil, fmt.Errorf("promptsyntax: the prompt takes more than %d windows of %d tokens", MaxChunks, ChunkLength)
		}
	}
	if len(c.tokens) > 0 || len(c.out) == 0 {
		c.next()
	}
	if len(c.out) > MaxChunks {
		return nil, fmt.Errorf("promptsyntax: the prompt takes more than %d windows of %d tokens", MaxChunks, ChunkLength)
	}
	return c.out, nil
}

func (c *chunker) add(id int, w float64) {
	switch {
	case id == c.comma:
		c.lastComma = len(c.tokens)
	case len(c.tokens) == ChunkLength && c.lastComma >= 0 && len(c.tokens)-c.lastComma <= CommaBacktrack:
		at := c.lastComma + 1
		moveT := append([]int(nil), c.tokens[at:]...)
		moveW := append([]float64(nil), c.weights[at:]...)
		c.tokens, c.weights = c.tokens[:at], c.weights[:at]
		c.next()
		c.tokens, c.weights = moveT, moveW
	}
	if len(c.tokens) == ChunkLength {
		c.next()
	}
	c.tokens = append(c.tokens, id)
	c.weights = append(c.weights, w)
}

// next closes the current window.
func (c *chunker) next() {
	ch := Chunk{Tokens: make([]int, 0, ChunkLength+2), Weights: make([]float64, 0, ChunkLength+2)}
	ch.Tokens = append(append(ch.Tokens, c.tok.BOS()), c.tokens...)
	ch.Weights = append(append(ch.Weights, 1), c.weights...)
	for len(ch.Tokens) < ChunkLength+1 {
		ch.Tokens = append(ch.Tokens, c.tok.Pad())
		ch.Weights = append(ch.Weights, 1)
	}
	ch.Tokens = append(ch.Tokens, c.tok.EOS())
	ch.Weights = append(ch.Weights, 1)
	c.out = append(c.out, ch)
	c.tokens, c.weights, c.lastComma = c.tokens[:0:0], c.weights[:0:0], -1
}

// Emphasize applies a window's weights to its CLIP hidden states h
// ([len(weights), dim], row-major) in place and rescales them so their
// mean is what it was (A1111's "Original" emphasis): h = h*w, then
// h *= mean(h before)/mean(h after). With all weights 1 it changes nothing.
func Emphasize(h []float32, weights []float64, dim int) error {
	if dim <= 0 || len(h) != len(weights)*dim {
		return fmt.Errorf("promptsyntax: %d hidden values for %d weights of dimension %d", len(h), len(weights), dim)
	}
	unit := true
	for _, w := range weights {
		unit = unit && w == 1
	}
	if unit {
		return nil
	}
	before := mean(h)
	for i, w := range weights {
		row := h[i*dim : (i+1)*dim]
		for j := range row {
			row[j] *= float32(w)
		}
	}
	after := mean(h)
	if after == 0 {
		return nil
	}
	scale := float32(before / after)
	for i := range h {
		h[i] *= scale
	}
	return nil
}

func mean(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s / float64(len(x))
}
