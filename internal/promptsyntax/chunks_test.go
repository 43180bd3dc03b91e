package promptsyntax_test

import (
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/internal/promptsyntax"
	"github.com/goautopipe/diffusers/models/clip"
	"github.com/stretchr/testify/require"
)

func tokenizer(t *testing.T) *clip.Tokenizer {
	tok, err := clip.LoadTokenizer("../../testdata/clip-tokenizer/sd15")
	require.NoError(t, err)
	return tok
}

const comma = 267 // ",</w>" in CLIP's vocabulary

func TestChunksShortPrompt(t *testing.T) {
	tok := tokenizer(t)
	ch, err := promptsyntax.Chunks(promptsyntax.Parse("a (photo:1.5) of a cat"), tok, comma)
	require.NoError(t, err)
	require.Len(t, ch, 1)
	require.Equal(t, tok.Encode("a photo of a cat"), ch[0].Tokens, "one window is diffusers' padded encoding")
	want := make([]float64, 77)
	for i := range want {
		want[i] = 1
	}
	want[2] = 1.5
	require.Equal(t, want, ch[0].Weights)

	ch, err = promptsyntax.Chunks(promptsyntax.Parse(""), tok, comma)
	require.NoError(t, err)
	require.Equal(t, [][]int{tok.Encode("")}, [][]int{ch[0].Tokens})
}

func TestChunksLongPromptAndBreak(t *testing.T) {
	tok := tokenizer(t)
	long := strings.Repeat("cat ", 80) // 80 tokens
	ch, err := promptsyntax.Chunks(promptsyntax.Parse(long), tok, comma)
	require.NoError(t, err)
	require.Len(t, ch, 2, "75 tokens, then 5")
	cat := tok.Tokenize("cat")[0]
	require.Equal(t, cat, ch[0].Tokens[75])
	require.Equal(t, tok.EOS(), ch[0].Tokens[76])
	require.Equal(t, []int{tok.BOS(), cat, cat, cat, cat, cat, tok.Pad()}, ch[1].Tokens[:7])

	ch, err = promptsyntax.Chunks(promptsyntax.Parse("a cat BREAK a dog"), tok, comma)
	require.NoError(t, err)
	require.Len(t, ch, 2)
	require.Equal(t, tok.Encode("a cat"), ch[0].Tokens)
	require.Equal(t, tok.Encode("a dog"), ch[1].Tokens)
}

// A window that fills up within 20 tokens after a comma breaks after the
// comma instead (A1111's comma_padding_backtrack).
func TestChunksCommaBacktrack(t *testing.T) {
	tok := tokenizer(t)
	prompt := strings.Repeat("cat ", 70) + ", " + strings.Repeat("dog ", 10)
	ch, err := promptsyntax.Chunks(promptsyntax.Parse(prompt), tok, comma)
	require.NoError(t, err)
	require.Len(t, ch, 2)
	require.Equal(t, comma, ch[0].Tokens[71], "the first window ends with the comma")
	require.Equal(t, tok.Pad(), ch[0].Tokens[72])
	dog := tok.Tokenize("dog")[0]
	require.Equal(t, dog, ch[1].Tokens[1])
	require.Equal(t, dog, ch[1].Tokens[10])
	require.Equal(t, tok.Pad(), ch[1].Tokens[11])

	ch, err = promptsyntax.Chunks(promptsyntax.Parse(prompt), tok, -1)
	require.NoError(t, err)
	require.Equal(t, dog, ch[0].Tokens[75], "without backtracking the window is filled")

	_, err = promptsyntax.Chunks(promptsyntax.Parse(strings.Repeat("cat ", 75*33)), tok, comma)
	require.ErrorContains(t, err, "more than 32 windows")
}

// Emphasis multiplies each token's hidden state by its weight, then
// restores the mean of the whole window (A1111's process_tokens).
func TestEmphasize(t *testing.T) {
	h := []float32{1, 2, 3, 4, 5, 6} // 3 tokens of dimension 2, mean 3.5
	require.NoError(t, promptsyntax.Emphasize(h, []float64{1, 2, 0.5}, 2))
	// scaled: 1 2 6 8 2.5 3, mean 22.5/6 = 3.75; times 3.5/3.75
	k := float32(3.5) / float32(3.75)
	require.InDeltaSlice(t, []float32{1 * k, 2 * k, 6 * k, 8 * k, 2.5 * k, 3 * k}, h, 1e-6)
	var m float32
	for _, v := range h {
		m += v
	}
	require.InDelta(t, 3.5, m/6, 1e-6)

	same := []float32{1, 2, 3, 4}
	require.NoError(t, promptsyntax.Emphasize(same, []float64{1, 1}, 2))
	require.Equal(t, []float32{1, 2, 3, 4}, same, "unit weights change nothing (bit for bit)")
	require.Error(t, promptsyntax.Emphasize(same, []float64{1}, 2))
}
